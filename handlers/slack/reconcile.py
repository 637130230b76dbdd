"""Posts Slack may have made although the bot never heard back (a timeout, a dropped
connection). Each such post carries a marker in its message metadata; before posting it again
the bot looks for the marker in the channel (or thread), so the message exists exactly once and
the bot learns its ts either way.

Looking needs `channels:history` / `groups:history`, which the app has for thread replies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# Slack did not answer a post and the message is not (yet) in the channel: the port's error.
from bot.port import PostUnconfirmed

log = logging.getLogger(__name__)

EVENT_TYPE = "narrative_post"
# What a call that never got its answer raises: a read timeout (`TimeoutError`) or a
# connection error (`urllib.error.URLError` and `ConnectionError` are `OSError`s).
UNANSWERED: tuple[type[Exception], ...] = (TimeoutError, OSError)
# How many of the channel's newest messages are searched: the post in question is minutes old
# at most (the ts Slack gives are its own clock's, so no time window is computed here).
LOOK_BACK_MESSAGES = 200
THREAD_PAGES = 10


@dataclass(frozen=True)
class Marker:
    """What a post is: e.g. the poll of decision 7, or part 2 of narrative 3's digest."""

    kind: str
    ref: int
    part: int = 0

    def metadata(self) -> dict[str, Any]:
        return {
            "event_type": EVENT_TYPE,
            "event_payload": {"kind": self.kind, "ref": self.ref, "part": self.part},
        }

    def on(self, message: dict[str, Any]) -> bool:
        metadata = message.get("metadata") or {}
        payload = metadata.get("event_payload") or {}
        return (
            metadata.get("event_type") == EVENT_TYPE
            and payload.get("kind") == self.kind
            and payload.get("ref") == self.ref
            and payload.get("part", 0) == self.part
        )


def find_posted(
    client: WebClient,
    *,
    channel: str,
    marker: Marker,
    thread_ts: str | None = None,
) -> str | None:
    """The ts of the message carrying `marker` in the channel (or the thread), or None."""
    found = find_all(client, channel=channel, thread_ts=thread_ts)
    for message in found:
        if marker.on(message):
            return str(message["ts"])
    return None


def find_all(
    client: WebClient, *, channel: str, thread_ts: str | None = None
) -> list[dict[str, Any]]:
    """A channel's newest messages (newest first) or a thread's, with their metadata."""
    if not thread_ts:
        answer = client.conversations_history(
            channel=channel, include_all_metadata=True, limit=LOOK_BACK_MESSAGES
        )
        return list(answer.get("messages") or [])
    # A thread lists oldest first, and the bot's latest posts come last: read it all.
    found: list[dict[str, Any]] = []
    cursor = None
    for _page in range(THREAD_PAGES):
        answer = client.conversations_replies(
            channel=channel,
            ts=thread_ts,
            include_all_metadata=True,
            limit=LOOK_BACK_MESSAGES,
            cursor=cursor,
        )
        found.extend(answer.get("messages") or [])
        cursor = (answer.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def post_once(
    client: WebClient,
    *,
    channel: str,
    marker: Marker,
    message: dict[str, Any],
    thread_ts: str | None = None,
    look_first: bool = False,
) -> str:
    """Post `message` with `marker` and return its ts. When Slack does not answer, the channel
    is searched for the marker; `PostUnconfirmed` when it is not there (yet). `look_first`:
    search before posting (a retry, when an earlier try may have posted it)."""
    where: dict[str, Any] = {"channel": channel, "marker": marker, "thread_ts": thread_ts}
    if look_first:
        try:
            found = find_posted(client, **where)
        except SlackApiError as exc:
            # Not allowed to read the channel (a scope missing): posting it again is better
            # than never posting it.
            log.warning(
                "could not look for %s %s in %s (%s); posting it",
                marker.kind,
                marker.ref,
                channel,
                exc.response.get("error"),
            )
            found = None
        if found is not None:
            return found
    try:
        extra = {"thread_ts": thread_ts} if thread_ts else {}
        answer = client.chat_postMessage(
            channel=channel, metadata=marker.metadata(), **extra, **message
        )
        return str(answer["ts"])
    except UNANSWERED as exc:
        log.warning(
            "no answer from Slack to posting %s %s (part %s) in %s (%s); looking for it",
            marker.kind,
            marker.ref,
            marker.part,
            channel,
            type(exc).__name__,
        )
    what = f"{marker.kind} {marker.ref} part {marker.part}"
    try:
        found = find_posted(client, **where)
    except (SlackApiError, *UNANSWERED):
        raise PostUnconfirmed(what) from None
    if found is None:
        raise PostUnconfirmed(what)
    return found
