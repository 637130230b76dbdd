"""Thread replies to a narrative become questions; 👍 reactions on them are counted."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import meetings
from bot.core import Core
from handlers.slack.text import to_plain

log = logging.getLogger(__name__)

ACK_REACTION = "eyes"  # "seen: this reply is collected for the digest"
UPVOTES = frozenset({"+1", "thumbsup"})
# Subtypes that are still a person writing in the thread.
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")


def _at(ts: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError):
        return None


def _is_reply_by_person(message: dict[str, Any]) -> bool:
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return False
    ts, thread_ts = message.get("ts"), message.get("thread_ts")
    return bool(message.get("user") and thread_ts and ts and thread_ts != ts)


def on_message(
    event: dict[str, Any], core: Core, client: WebClient, *, team_id: str | None = None
) -> bool:
    """Handle a message event if it concerns a narrative's thread; True when it did."""
    team = team_id or str(event.get("team") or "")
    channel_id = str(event.get("channel") or "")
    subtype = event.get("subtype")
    if not team or not channel_id:
        return False
    if subtype == "message_changed":
        return _edited(event, core, team, channel_id)
    if subtype == "message_deleted":
        deleted_ts = str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts"))
        return meetings.delete_thread_question(
            core=core, team_id=team, channel_id=channel_id, message_ts=deleted_ts
        )
    if subtype not in _PERSON_SUBTYPES or not _is_reply_by_person(event):
        return False
    return _replied(event, core, client, team, channel_id)


def _edited(event: dict[str, Any], core: Core, team: str, channel_id: str) -> bool:
    message = event.get("message") or {}
    if not _is_reply_by_person(message):
        return False
    text = to_plain(str(message.get("text") or ""))
    edited = meetings.edit_thread_question(
        core=core, team_id=team, channel_id=channel_id, message_ts=str(message["ts"]), text=text
    )
    return edited is not None


def _replied(
    event: dict[str, Any], core: Core, client: WebClient, team: str, channel_id: str
) -> bool:
    """A reply in a thread: a question when the thread is a narrative's (marked as seen)."""
    text = to_plain(str(event.get("text") or "")).strip()
    if not text:
        return False
    ts = str(event["ts"])
    question = meetings.question_from_thread(
        core=core,
        team_id=team,
        place=channel_id,
        thread=str(event["thread_ts"]),
        message_id=ts,
        author_id=str(event["user"]),
        text=text,
        asked_at=_at(ts),
    )
    if question is None:
        return False
    try:
        client.reactions_add(channel=channel_id, timestamp=ts, name=ACK_REACTION)
    except SlackApiError as exc:
        if exc.response.get("error") != "already_reacted":
            log.warning("could not acknowledge question %s: %s", question.id, exc)
    return True


def on_reaction(
    event: dict[str, Any], added: bool, core: Core, *, team_id: str | None = None
) -> bool:
    """Count a 👍 added to (or removed from) a question; True when it was one."""
    name = str(event.get("reaction") or "").split("::", 1)[0]
    item = event.get("item") or {}
    team = team_id or str(event.get("team") or "")
    if name not in UPVOTES or item.get("type") != "message" or not team or not event.get("user"):
        return False
    return meetings.set_upvote(
        core=core,
        team_id=team,
        channel_id=str(item.get("channel") or ""),
        message_ts=str(item.get("ts") or ""),
        user_id=str(event["user"]),
        added=added,
    )
