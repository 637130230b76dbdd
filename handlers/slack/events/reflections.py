"""Thread replies to a reflection round's message are kept as answers; edited ones are updated
and deleted ones dropped while the round is open."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from handlers.slack.text import to_plain

# Message subtypes that are a person writing; everything else (joins, bot posts) is not an answer.
_PEOPLE_SUBTYPES = (None, "thread_broadcast", "file_share")


def on_message(event: dict[str, Any], core: Core, client: WebClient) -> bool:
    """Handle a message event if it is a reply in a round's thread; True when it was one."""
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = event.get("message") or {}
        if message.get("bot_id") or not message.get("user"):
            return False
        return _reply(core, event, message)
    if subtype == "message_deleted":
        return _deleted(core, event)
    if subtype not in _PEOPLE_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return False
    return _reply(core, event, event)


def _reply(core: Core, event: dict[str, Any], message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    if not thread_ts or thread_ts == message.get("ts"):
        return False
    result = reflections.record_thread_reply(
        core,
        team_id=str(event.get("team") or ""),
        channel_id=str(event.get("channel") or ""),
        thread_ts=str(thread_ts),
        user_id=str(message["user"]),
        message_ts=str(message.get("ts")),
        text=to_plain(str(message.get("text") or "")),
    )
    return result is not None


def _deleted(core: Core, event: dict[str, Any]) -> bool:
    previous = event.get("previous_message") or {}
    thread_ts, deleted = previous.get("thread_ts"), event.get("deleted_ts")
    if not thread_ts or not deleted or thread_ts == deleted:
        return False
    result = reflections.delete_thread_reply(
        core,
        team_id=str(event.get("team") or ""),
        channel_id=str(event.get("channel") or ""),
        thread_ts=str(thread_ts),
        message_ts=str(deleted),
    )
    return result is not None
