"""The Slack side of narrative meetings that several listeners share: posting the narrative,
updating it in place, telling someone something privately, and finishing a reading period."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import meetings
from bot.core import Core
from handlers import coalesce
from handlers.blocks.narratives import (
    build_body_continuations,
    build_digest_messages,
    build_lint_text,
    build_narrative_message,
)
from handlers.reconcile import UNANSWERED, Marker, PostUnconfirmed, post_once
from handlers.slack import could_not_post, join_channel
from storage.models import Narrative

log = logging.getLogger(__name__)


def tell_privately(client: WebClient, *, channel_id: str, user_id: str, text: str) -> None:
    """An ephemeral message; a direct message when the bot cannot post in the channel."""
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
    except (SlackApiError, *UNANSWERED) as exc:
        log.info(
            "ephemeral to %s in %s failed (%s); sending a DM",
            user_id,
            channel_id,
            type(exc).__name__,
        )
        try:
            client.chat_postMessage(channel=user_id, text=text)
        except (SlackApiError, *UNANSWERED):
            log.warning("could not tell %s privately", user_id, exc_info=True)


def post_narrative(core: Core, client: WebClient, narrative: Narrative) -> bool:
    """Post a just-started narrative in its channel; False (reading cancelled) when Slack refuses."""
    team_id, narrative_id = narrative.team_id, int(narrative.id or 0)
    try:
        # Questions come as thread replies: Slack sends them only where the bot is a member.
        join_channel(client, narrative.channel_id)
        ts = post_and_attach(core, client, narrative)
    except PostUnconfirmed:
        # Probably posted but unconfirmed: the narrative_confirm timer looks again later.
        tell_privately(
            client,
            channel_id=narrative.channel_id,
            user_id=narrative.owner_id,
            text="Slack is slow to confirm your narrative. I will check in a minute and post "
            "it if it is missing; there is no need to start it again.",
        )
        return True
    except SlackApiError as exc:
        log.warning("could not post narrative %s: %s", narrative_id, exc.response.get("error"))
        # Nothing was posted, so there is no thread for questions nor for a digest.
        meetings.end_reading(
            core=core, team_id=team_id, narrative_id=narrative_id, reason="not_posted"
        )
        tell_privately(
            client,
            channel_id=narrative.channel_id,
            user_id=narrative.owner_id,
            text=could_not_post(exc.response.get("error"), "the narrative"),
        )
        return False
    for message in build_body_continuations(narrative):
        client.chat_postMessage(channel=narrative.channel_id, thread_ts=ts, **message)
    if narrative.body:
        report = meetings.lint_narrative(
            narrative.body,
            kind=narrative.kind,
            reading=narrative.ends_at - narrative.started_at,
        )
        tell_privately(
            client,
            channel_id=narrative.channel_id,
            user_id=narrative.owner_id,
            text=build_lint_text(report),
        )
    return True


def post_and_attach(
    core: Core, client: WebClient, narrative: Narrative, *, retry: bool = False
) -> str:
    """Post the narrative message (found instead when an unanswered try posted it) and store
    its ts. Raises SlackApiError or `PostUnconfirmed` (see `handlers.reconcile.post_once`)."""
    team_id, narrative_id = narrative.team_id, int(narrative.id or 0)
    progress = meetings.get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    assert progress is not None
    ts = post_once(
        client,
        channel=narrative.channel_id,
        marker=Marker("narrative", narrative_id),
        message=build_narrative_message(progress),
        look_first=retry,
    )
    meetings.attach_message(core=core, team_id=team_id, narrative_id=narrative_id, message_ts=ts)
    return ts


def confirm_narrative(core: Core, client: WebClient, *, team_id: str, narrative_id: int) -> None:
    """The narrative_confirm timer: find the unconfirmed narrative in its channel or post it,
    then bring the message up to date (readers may have finished meanwhile)."""
    narrative = meetings.narrative_to_confirm(core=core, team_id=team_id, narrative_id=narrative_id)
    if narrative is None:
        return
    ts = post_and_attach(core, client, narrative, retry=True)
    for message in build_body_continuations(narrative):
        client.chat_postMessage(channel=narrative.channel_id, thread_ts=ts, **message)
    refresh_message(core, client, team_id=team_id, narrative_id=narrative_id)


def refresh_message(
    core: Core, client: WebClient, *, team_id: str, narrative_id: int, now: bool = False
) -> None:
    """Re-render the narrative message from the database (progress, or reading is over).

    Updates of one message go through the bot's coalescer: one at a time, so an older render
    never lands after a newer one, and a burst of "done" clicks becomes at most about one
    `chat.update` a second, each showing the state when it runs. `now`: update before
    returning (reading is over), still in order with the other updates."""
    progress = meetings.get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None or not progress.narrative.message_ts:
        return
    channel, ts = progress.narrative.channel_id, progress.narrative.message_ts

    def render() -> None:
        current = meetings.get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
        if current is None:
            return
        try:
            client.chat_update(channel=channel, ts=ts, **build_narrative_message(current))
        except SlackApiError as exc:
            log.warning(
                "could not update narrative %s: %s", narrative_id, exc.response.get("error")
            )

    updates = coalesce.shared(core)
    if now:
        updates.run_now((channel, ts), render)
    else:
        updates.submit((channel, ts), render)


def finish_reading(core: Core, client: WebClient, *, team_id: str, narrative_id: int) -> None:
    """After reading ended: show "reading is over" and post the digest's missing parts.

    Safe to call from every path that may end reading (timer, button, command, last reader):
    one claim in the database decides who posts, and each part is counted once posted, so a
    failed or interrupted run is finished by the reading_end timer's retries, each part
    exactly once.
    """
    progress = meetings.get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
    if progress is None or progress.reading or not progress.narrative.message_ts:
        return  # unknown, still reading, or never posted (no thread to post the digest in)
    refresh_message(core, client, team_id=team_id, narrative_id=narrative_id, now=True)
    if not meetings.claim_digest(core=core, team_id=team_id, narrative_id=narrative_id):
        return
    try:
        _post_digest(core, client, team_id=team_id, narrative_id=narrative_id)
    except Exception:
        # Give the claim back so that the reading_end timer's retry posts the rest.
        meetings.release_digest(core=core, team_id=team_id, narrative_id=narrative_id)
        raise


def finish_reading_now(core: Core, client: WebClient, *, team_id: str, narrative_id: int) -> None:
    """`finish_reading` after a click or a command ended reading. A failure is logged, not
    shown to the person: ending reading moved the reading_end timer to now, and its retries
    post what is missing."""
    try:
        finish_reading(core, client, team_id=team_id, narrative_id=narrative_id)
    except Exception:  # noqa: BLE001 - the timer finishes it
        log.warning(
            "digest of narrative %s not finished; the reading_end timer retries it",
            narrative_id,
            exc_info=True,
        )


def _post_digest(core: Core, client: WebClient, *, team_id: str, narrative_id: int) -> None:
    digest = meetings.build_digest(core=core, team_id=team_id, narrative_id=narrative_id)
    if digest is None:
        return
    narrative = digest.narrative
    parts = build_digest_messages(digest)
    first = narrative.digest_parts_posted
    for part in range(first, len(parts)):
        post_once(
            client,
            channel=narrative.channel_id,
            thread_ts=narrative.message_ts,
            marker=Marker("digest", narrative_id, part),
            message=parts[part],
            # An earlier run may have posted this part without counting it (Slack did not
            # answer, or the process died in between): look in the thread before posting.
            look_first=part == first,
        )
        if not meetings.digest_part_posted(
            core=core, team_id=team_id, narrative_id=narrative_id, part=part
        ):
            return  # another run took over (this one outlived its claim): it posts the rest
    meetings.digest_done(core=core, team_id=team_id, narrative_id=narrative_id)
