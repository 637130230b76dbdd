"""Reviews on Slack: the timers that send the owner's direct message, and what follows an answer
(the DM updated, a note in the decision's thread, a word to each dissenter)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import decisions, reviews
from bot.core import Core
from bot.decision_log import set_record_message
from bot.vocabulary import TimerKind
from handlers.blocks.reviews import (
    build_review_answered,
    build_review_message,
    dissent_relevant,
    thread_note,
)
from handlers.decision_messages import DecisionMessages
from handlers.directory import open_dm
from handlers.slack import user_timezone
from storage.models import Timer

log = logging.getLogger(__name__)


def register_timers(client: WebClient, core: Core) -> None:
    def review_due(timer: Timer) -> None:
        owner = reviews.owner_of(core, timer.team_id, timer.ref_id)
        if owner is None:
            return
        prompt = reviews.start_review(core, timer=timer, tz=user_timezone(client, owner))
        if prompt is None:
            return
        text, blocks = build_review_message(prompt)
        channel = open_dm(client, prompt.decision.owner_id)
        sent = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
        reviews.mark_sent(
            core,
            team_id=timer.team_id,
            review_id=int(prompt.review.id or 0),
            channel=str(sent["channel"]),
            ts=str(sent["ts"]),
        )

    def review_reminder(timer: Timer) -> None:
        found = reviews.review_with_decision(core, team_id=timer.team_id, review_id=timer.ref_id)
        if found is None:
            return
        owner = found[1].owner_id
        prompt = reviews.due_reminder(core, timer=timer, tz=user_timezone(client, owner))
        if prompt is None:
            return
        text, blocks = build_review_message(prompt)
        client.chat_postMessage(channel=open_dm(client, owner), text=text, blocks=blocks)
        reviews.mark_reminded(core, team_id=timer.team_id, review_id=timer.ref_id)

    core.timers.register(TimerKind.REVIEW_DUE, review_due)
    core.timers.register(TimerKind.REVIEW_REMINDER, review_reminder)


def announce_answer(
    client: WebClient,
    core: Core,
    result: reviews.ReviewResult,
    messages: DecisionMessages | None = None,
) -> None:
    """Everything Slack should show after a review was answered. Each step is best effort: the
    answer is already recorded, and one failed post must not hide the others."""
    review, decision = result.review, result.decision
    if messages is not None and decision.poll_ts:
        # A poll's decision: its poll and record show the new status, text or review date.
        _try(
            "refresh the decision's record",
            lambda: messages.refresh(
                decisions.load(core, team_id=decision.team_id, decision_id=int(decision.id or 0))
            ),
        )
    if review.dm_channel and review.dm_ts:
        text, blocks = build_review_answered(result)
        _try(
            "update the review message",
            lambda: client.chat_update(
                channel=review.dm_channel, ts=review.dm_ts, text=text, blocks=blocks
            ),
        )
    thread = reviews.thread_of(core, team_id=decision.team_id, decision=decision)
    if decision.channel_id and thread:
        posted = _try(
            "post the review note in the thread",
            lambda: client.chat_postMessage(
                channel=decision.channel_id, thread_ts=thread, text=thread_note(result)
            ),
        )
        if posted is not None and result.replacement is not None:
            link = _try(
                "get the replacement's permalink",
                lambda: client.chat_getPermalink(
                    channel=decision.channel_id, message_ts=posted["ts"]
                ),
            )
            set_record_message(
                core,
                team_id=decision.team_id,
                decision_id=int(result.replacement.id or 0),
                ts=str(posted["ts"]),
                permalink=str(link["permalink"]) if link is not None else None,
            )
    for user_id in result.dissenters:
        _try(
            f"tell dissenter {user_id}",
            lambda user_id=user_id: client.chat_postMessage(
                channel=open_dm(client, user_id), text=dissent_relevant(result)
            ),
        )


def _try(what: str, call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except SlackApiError as exc:
        log.warning("could not %s: %s", what, exc.response.get("error"))
        return None
