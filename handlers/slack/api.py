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


class NoWorkspace(ValueError):
    """A request that names no workspace (an org-wide event without a workspace in it)."""


def team_id_of(body: dict[str, Any]) -> str:
    """The workspace a request belongs to, whatever its kind (command, event, interaction).

    That is the workspace the app is installed in, where the channel's decisions are kept:
    in a channel shared across workspaces (Enterprise Grid, Slack Connect) the person may
    belong to another workspace (`user.team_id`, `event.team`), and an event's top-level
    `team_id` names the workspace that owns the channel; `authorizations` name the
    installation. An org-wide install's events may carry no workspace at the top at all, but
    the Home view they concern does (`event.view.team_id`).

    Raises NoWorkspace when nothing in the request names a workspace.
    """
    authorizations = body.get("authorizations") or [{}]
    view = body.get("view") or {}
    event = body.get("event") or {}
    team = body.get("team")
    candidates = (
        authorizations[0].get("team_id") if isinstance(authorizations[0], dict) else None,
        view.get("app_installed_team_id"),
        body.get("team_id"),
        body.get("context_team_id"),
        # A modal opened by the app belongs to the installation; `team` of its submission is
        # the submitting person's workspace.
        view.get("team_id"),
        team.get("id") if isinstance(team, dict) else team,
        (event.get("view") or {}).get("team_id"),
        (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else None,
        event.get("team"),
    )
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            return candidate
    raise NoWorkspace("request names no workspace")


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


def join_channel(client: WebClient, channel_id: str) -> None:
    """Make the bot a member of `channel_id` unless it is one: Slack sends message and reaction
    events only from channels the bot is in (`chat:write.public` lets it post, not listen), so
    a thread whose replies count must never be started elsewhere. A public channel is joined
    (`conversations.join`); a private one the bot is not in is invisible to it, and Slack's
    `channel_not_found` leads to the invite hint. Raises SlackApiError."""
    channel = client.conversations_info(channel=channel_id).get("channel") or {}
    if channel.get("is_member") or channel.get("is_im") or channel.get("is_mpim"):
        return
    client.conversations_join(channel=channel_id)
    log.info("joined channel %s", loggable(channel_id))


def could_not_post(error: str | None, what: str, where: str = "this channel") -> str:
    """What to tell a person when `what` ("the poll") could not be posted in `where`."""
    if error == "missing_scope":
        return (
            f":warning: I could not post {what} in {where}: the Narrative app lacks a permission "
            "Slack asked for (`missing_scope`). Whoever runs Narrative should reinstall the app "
            "from its current manifest (OAuth & Permissions > Reinstall)."
        )
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
