"""Small Slack facts the listeners need: who is an admin, which workspace a request is from."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

log = logging.getLogger(__name__)


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


# Only these mean the bot is not in the channel (inviting it helps); anything else (a message
# Slack refused, an archived channel, a missing scope) must not send people to invite it.
NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found")


def could_not_post(error: str | None, what: str, where: str = "this channel") -> str:
    """What to tell a person when `what` ("the poll") could not be posted in `where`."""
    if error in NOT_IN_CHANNEL:
        return (
            f":warning: I could not post {what} in {where}. Invite me with "
            "`/invite @Narrative` and try again."
        )
    if error == "is_archived":
        return f":warning: I could not post {what}: {where} is archived."
    return (
        f":warning: I could not post {what} in {where}: Slack refused it (`{error}`). "
        "Try again; if it keeps happening, tell whoever runs Narrative."
    )


def user_timezone(client: WebClient, user_id: str, default: str = "UTC") -> str:
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError:
        return default
    return str(user.get("tz") or default)
