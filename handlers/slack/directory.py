"""Who may see which channel's decisions, channel names, direct messages: small Slack look-ups
with a short cache, so a page of the log does not cost a burst of API calls."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import Viewer
from handlers.slack.api import is_admin

log = logging.getLogger(__name__)

CACHE_SECONDS = 120.0
_lock = threading.Lock()
# Keyed by API URL and token: Bolt makes a client per request, and apps on different
# workspaces (or test doubles) must never share answers.
_cache: dict[tuple[str, str, str, str], tuple[float, Any]] = {}


def _cached(client: WebClient, kind: str, name: str, load: Any) -> Any:
    key = (client.base_url, client.token or "", kind, name)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    value = load()
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[key] = (now, value)
    return value


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def channel_info(client: WebClient, channel_id: str) -> dict[str, Any]:
    def load() -> dict[str, Any]:
        try:
            return dict(client.conversations_info(channel=channel_id).get("channel") or {})
        except SlackApiError as exc:
            log.info("conversations.info %s failed: %s", channel_id, exc.response.get("error"))
            # Unknown to us: treat as private, so nothing leaks.
            return {"id": channel_id, "is_private": True}

    return dict(_cached(client, "channel", channel_id, load))


def channel_members(client: WebClient, channel_id: str) -> frozenset[str]:
    def load() -> frozenset[str]:
        members: set[str] = set()
        cursor = None
        try:
            while True:
                page = client.conversations_members(channel=channel_id, cursor=cursor, limit=1000)
                members.update(page.get("members") or [])
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return frozenset(members)
        except SlackApiError as exc:
            log.info("conversations.members %s failed: %s", channel_id, exc.response.get("error"))
            return frozenset()

    return frozenset(_cached(client, "members", channel_id, load))


# Reading a channel's people: at most this many pages of members, and users.info is asked
# about at most this many (to leave bots out); in larger channels the rest are counted as
# people rather than spending minutes of rate limit on a count.
MAX_MEMBER_PAGES = 20
MAX_MEMBER_LOOKUPS = 300


def channel_people(client: WebClient, channel_id: str) -> frozenset[str] | None:
    """The channel's people (bots and deactivated accounts left out); None when Slack won't say."""
    members: list[str] = []
    cursor: str | None = None
    try:
        for _ in range(MAX_MEMBER_PAGES):
            page = client.conversations_members(channel=channel_id, limit=200, cursor=cursor)
            members.extend(str(m) for m in page.get("members") or [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
    except SlackApiError:
        log.warning("conversations.members failed for %s", channel_id)
        return None
    people = set(members[MAX_MEMBER_LOOKUPS:])
    for user_id in members[:MAX_MEMBER_LOOKUPS]:
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError:
            people.add(user_id)  # counted: better than dropping a person
            continue
        if not (user.get("is_bot") or user.get("deleted") or user_id == "USLACKBOT"):
            people.add(user_id)
    return frozenset(people)


def may_see(client: WebClient, user_id: str, channel_id: str) -> bool:
    """Public channels: everyone in the workspace; private ones: their members only."""
    if not channel_info(client, channel_id).get("is_private"):
        return True
    return user_id in channel_members(client, channel_id)


def viewer_of(
    client: WebClient, user_id: str, admin_user_ids: frozenset[str] = frozenset()
) -> Viewer:
    """The person as the core asks about them: channel membership and admin standing."""
    return Viewer(
        user_id,
        may_see=lambda channel_id: may_see(client, user_id, channel_id),
        is_admin=lambda: is_admin(client, user_id, admin_user_ids),
    )


def open_dm(client: WebClient, user_id: str) -> str:
    return str(client.conversations_open(users=user_id)["channel"]["id"])
