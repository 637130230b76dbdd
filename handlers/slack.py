"""Small Slack facts the listeners need: who is an admin, which workspace a request is from."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

log = logging.getLogger(__name__)

# Where Slack's response_urls point. Tests' Slack double hands out its own, under SLACK_API_URL.
SLACK_RESPONSE_URL_PREFIX = "https://hooks.slack.com/"
# What an id (workspace, user, channel, command, action) looks like when it is safe to log.
_LOGGABLE_ID = re.compile(r"[A-Za-z0-9_./:-]{1,80}")


def is_slack_response_url(url: object, api_url: str) -> bool:
    """True for a response_url that Slack (or, in tests, the configured SLACK_API_URL's host)
    serves: anything else could make the bot post where a forger asks it to."""
    if not isinstance(url, str):
        return False
    if url.startswith(SLACK_RESPONSE_URL_PREFIX):
        return True
    api, given = urlsplit(api_url), urlsplit(url)
    return bool(api.netloc) and (given.scheme, given.netloc) == (api.scheme, api.netloc)


def loggable(value: object) -> str:
    """`value` when it looks like a Slack id, else a placeholder: request bodies name ids that
    go into log lines, and a forged one could carry a line break or a whole fake line."""
    if value is None:
        return "-"
    text = str(value)
    return text if _LOGGABLE_ID.fullmatch(text) else "(malformed)"


def retry_handlers() -> list[RetryHandler]:
    """What every Slack call retries, a bounded number of times: connection errors, 429 (after
    Retry-After) and 5xx answers."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def team_id_of(body: dict[str, Any]) -> str:
    """The workspace a request belongs to, whatever its kind (command, event, interaction)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id")
    if not team:
        team = (body.get("user") or {}).get("team_id") or (body.get("event") or {}).get("team")
    if not team:
        raise ValueError("request names no workspace")
    return str(team)


def is_admin(client: WebClient, user_id: str, admin_user_ids: frozenset[str] = frozenset()) -> bool:
    """Workspace admins and owners (and users listed in NARRATIVE_ADMINS) may act as owners."""
    if user_id in admin_user_ids:
        return True
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError:
        log.warning("users.info failed for %s; treating as non-admin", user_id)
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def user_timezone(client: WebClient, user_id: str, default: str = "UTC") -> str:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError:
        return default
    return str(user.get("tz") or default)
