"""Thread replies to a narrative become questions; 👍 reactions on them are counted."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import meetings
from bot.core import Core
from handlers.slack_text import to_plain
from storage.models import Question

log = logging.getLogger(__name__)

ACK_REACTION = "eyes"  # "seen: this reply is collected for the digest"
UPVOTES = frozenset({"+1", "thumbsup"})
# Subtypes that are still a person writing in the thread.
_PERSON_SUBTYPES = (None, "thread_broadcast", "file_share")
# How long a thread reply waits for a narrative whose message is still being posted.
POSTED_WAIT_SECONDS = 10.0
POSTED_POLL_SECONDS = 0.1


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
        message = event.get("message") or {}
        if not _is_reply_by_person(message):
            return False
        text = to_plain(str(message.get("text") or ""))
        edited = meetings.edit_thread_question(
            core=core, team_id=team, channel_id=channel_id, message_ts=str(message["ts"]), text=text
        )
        return edited is not None
    if subtype == "message_deleted":
        deleted_ts = str(event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts"))
        return meetings.delete_thread_question(
            core=core, team_id=team, channel_id=channel_id, message_ts=deleted_ts
        )
    if subtype not in _PERSON_SUBTYPES or not _is_reply_by_person(event):
        return False
    text = to_plain(str(event.get("text") or "")).strip()
    if not text:
        return False
    ts = str(event["ts"])

    def record() -> Question | None:
        return meetings.record_thread_question(
            core=core,
            team_id=team,
            channel_id=channel_id,
            thread_ts=str(event["thread_ts"]),
            message_ts=ts,
            author_id=str(event["user"]),
            text=text,
            asked_at=_at(ts),
        )

    question = record()
    waited = 0.0
    # A reply can reach us before the narrative's own ts is stored (people are quick, Slack
    # answered chat.postMessage slowly): while a narrative here is still being posted, retry.
    while question is None and waited < POSTED_WAIT_SECONDS:
        posting = meetings.is_being_posted(core=core, team_id=team, channel_id=channel_id)
        # Once more after each look: the ts may have been stored since the first try.
        question = record()
        if question is not None or not posting:
            break
        time.sleep(POSTED_POLL_SECONDS)
        waited += POSTED_POLL_SECONDS
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
