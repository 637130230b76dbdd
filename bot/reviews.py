"""Reviews: on a decision's review date its owner is asked whether it is still right.

The review timer (`review_due`, ref = decision id) fires once; the direct message goes out in
the owner's working hours (09:00–17:00, Monday to Friday, in their own time zone), so a timer
that comes due at night or at a weekend is moved to the next working-hours slot. An unanswered
review gets one reminder three days later (`review_reminder`, ref = review id) and then shows as
overdue in the log.

Both timers are registered by `register_timers` (called from `bot.core.build_core`) and talk to
the workspace's platform through the port. Answering returns what answers the click (a form, a
notice); `announce` then shows the outcome: the owner's message, the decision's thread, a word
to each recorded dissenter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import Core
from bot.decision_log import decision_text, schedule_review, set_record_message, status_words
from bot.inputs import TEXT_CHARS, too_long
from bot.port import ChatPlatform, MessageRef, PostFailed, PostUnconfirmed, Unreachable
from bot.proposals import at_nine, confidence_note, default_review_on
from bot.views import FormErrors, Notice, OpenForm, Reply, notice, warning
from bot.views.reviews import (
    ChangeForm,
    DissentLine,
    DissentRelevantView,
    HaltLine,
    KeepForm,
    ReviewAnsweredView,
    ReviewOutcomeView,
    ReviewPromptView,
)
from bot.vocabulary import DecisionStatus, ReviewAnswer, Stance, TimerKind
from storage import andon as andon_rows
from storage import decision_log as log_rows
from storage import log_summary
from storage.db import session_scope
from storage.decisions import add_decision_event, decision_label, get_decision, insert_decision
from storage.models import AndonPull, Decision, Review, Timer, Vote

log = logging.getLogger(__name__)
T = TypeVar("T")

WORK_START = time(9, 0)
WORK_END = time(17, 0)
REMINDER_AFTER = timedelta(days=3)
SNOOZES = {"week": timedelta(days=7), "month": timedelta(days=30)}
# A review timer older than its decision's review date by less than this is still current.
_STALE_MARGIN = timedelta(minutes=1)


class ReviewError(ValueError):
    """The review cannot be answered this way; `field` names the form field at fault, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def next_working_slot(at: datetime, tz: str) -> datetime:
    """`at` itself when it falls in working hours in `tz`, else the next 09:00 on a weekday."""
    zone = _zone(tz)
    local = at.astimezone(zone)
    if local.weekday() < 5 and WORK_START <= local.time() < WORK_END:
        return at
    day = local.date()
    if local.time() >= WORK_END or local.weekday() >= 5:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, WORK_START, tzinfo=zone).astimezone(UTC)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - an unknown zone falls back to UTC
        return ZoneInfo("UTC")


@dataclass(frozen=True)
class ReviewPrompt:
    """What the owner is sent: the decision, the confidence it was made with, the dissent."""

    review: Review
    decision: Decision
    dissent: tuple[Vote, ...]
    reminder: bool = False
    halted_by: AndonPull | None = None  # the open Andon pull, when the decision is halted


def start_review(core: Core, *, timer: Timer, tz: str) -> ReviewPrompt | None:
    """Run a `review_due` timer. None when nothing is to be sent now (moved to working hours,
    the decision is no longer in force, or the message already went out)."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        decision = get_decision(session=session, team_id=timer.team_id, decision_id=timer.ref_id)
        if decision is None or decision.status not in log_rows.OPEN_STATUSES:
            return None
        if decision.review_on > now + _STALE_MARGIN:
            return None  # the review date moved; its own timer will fire
        slot = next_working_slot(now, tz)
        if slot > now:
            core.timers.add(
                session=session,
                team_id=timer.team_id,
                kind=TimerKind.REVIEW_DUE,
                ref_id=int(decision.id or 0),
                due_at=slot,
            )
            return None
        review = log_rows.open_review(
            session=session,
            team_id=timer.team_id,
            decision_id=int(decision.id or 0),
            due_at=decision.review_on,
        )
        if review is None:
            review = _new_review(core, session, decision, now)
        elif review.dm_ts is not None:
            return None
        dissent = log_rows.current_dissent(
            session=session, team_id=timer.team_id, decision_id=int(decision.id or 0)
        )
        return ReviewPrompt(
            review=review,
            decision=decision,
            dissent=tuple(dissent),
            halted_by=_open_pull(session, decision),
        )


def _open_pull(session: Session, decision: Decision) -> AndonPull | None:
    if decision.status != DecisionStatus.HALTED:
        return None
    return andon_rows.open_pull(
        session=session, team_id=decision.team_id, decision_id=int(decision.id or 0)
    )


def _new_review(core: Core, session: Session, decision: Decision, now: datetime) -> Review:
    review = Review(
        team_id=decision.team_id, decision_id=int(decision.id or 0), due_at=decision.review_on
    )
    session.add(review)
    if decision.status == DecisionStatus.ACTIVE:
        decision.status = DecisionStatus.UNDER_REVIEW
        session.add(decision)
    session.flush()
    add_decision_event(
        session=session,
        team_id=decision.team_id,
        decision_id=int(decision.id or 0),
        at=now,
        kind="review_started",
        detail={"due_at": decision.review_on.isoformat()},
    )
    core.timers.add(
        session=session,
        team_id=decision.team_id,
        kind=TimerKind.REVIEW_REMINDER,
        ref_id=int(review.id or 0),
        due_at=now + REMINDER_AFTER,
    )
    return review


def mark_sent(core: Core, *, team_id: str, review_id: int, channel: str, ts: str) -> None:
    with session_scope(core.engine) as session:
        review = log_rows.get_review(session=session, team_id=team_id, review_id=review_id)
        if review is not None:
            review.sent_at = review.sent_at or core.clock.now()
            review.dm_channel, review.dm_ts = channel, ts
            session.add(review)


def due_reminder(core: Core, *, timer: Timer, tz: str) -> ReviewPrompt | None:
    """Run a `review_reminder` timer: the one reminder, if the review is still unanswered."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        review = log_rows.get_review(session=session, team_id=timer.team_id, review_id=timer.ref_id)
        if review is None or review.answered_at is not None or review.reminded_at is not None:
            return None
        slot = next_working_slot(now, tz)
        if slot > now:
            core.timers.add(
                session=session,
                team_id=timer.team_id,
                kind=TimerKind.REVIEW_REMINDER,
                ref_id=int(review.id or 0),
                due_at=slot,
            )
            return None
        decision = get_decision(
            session=session, team_id=timer.team_id, decision_id=review.decision_id
        )
        if decision is None or closed_note(decision) is not None:
            return None
        dissent = log_rows.current_dissent(
            session=session, team_id=timer.team_id, decision_id=review.decision_id
        )
        return ReviewPrompt(
            review=review,
            decision=decision,
            dissent=tuple(dissent),
            reminder=True,
            halted_by=_open_pull(session, decision),
        )


def mark_reminded(core: Core, *, team_id: str, review_id: int) -> None:
    with session_scope(core.engine) as session:
        review = log_rows.get_review(session=session, team_id=team_id, review_id=review_id)
        if review is not None and review.reminded_at is None:
            review.reminded_at = core.clock.now()
            session.add(review)


def closed_note(decision: Decision) -> str | None:
    """Why a review can no longer be answered: the decision was reversed, amended or superseded
    meanwhile (e.g. through the Andon cord). None while the decision is in force."""
    if decision.status in log_rows.OPEN_STATUSES:
        return None
    status = status_words(decision.status)
    return f"{decision_label(decision.number)} was {status} meanwhile; this review is closed."


def review_with_decision(
    core: Core, *, team_id: str, review_id: int
) -> tuple[Review, Decision] | None:
    """A review and its decision, only within `team_id`."""
    with session_scope(core.engine) as session:
        review = log_rows.get_review(session=session, team_id=team_id, review_id=review_id)
        if review is None:
            return None
        decision = get_decision(session=session, team_id=team_id, decision_id=review.decision_id)
        if decision is None:
            return None
        return review, decision


@dataclass(frozen=True)
class Answer:
    """The owner's answer to a review, as given in the forms (checked by `answer_review`)."""

    outcome: str  # a ReviewAnswer
    actual_confidence: int | None = None
    learned: str | None = None
    new_text: str | None = None
    next_review_on: datetime | None = None
    snooze: str | None = None  # week | month


@dataclass(frozen=True)
class ReviewResult:
    review: Review
    decision: Decision
    replacement: Decision | None
    dissenters: tuple[str, ...]


def answer_review(
    core: Core, *, team_id: str, review_id: int, user_id: str, answer: Answer
) -> ReviewResult:
    """Record the owner's answer: keep (next date), amend/reverse (optionally with the decision
    that replaces it, linked both ways) or snooze. Raises ReviewError; nothing is half-written."""
    _validate(answer, core.clock.now())
    now = core.clock.now()
    with session_scope(core.engine) as session:
        review = log_rows.get_review(
            session=session, team_id=team_id, review_id=review_id, for_update=True
        )
        if review is None:
            raise ReviewError("This review no longer exists.")
        if review.answered_at is not None:
            raise ReviewError("This review was already answered.")
        decision = get_decision(session=session, team_id=team_id, decision_id=review.decision_id)
        if decision is None:
            raise ReviewError("This decision no longer exists.")
        closed = closed_note(decision)
        if closed is not None:
            raise ReviewError(closed)
        review.answered_at, review.answered_by, review.outcome = now, user_id, answer.outcome
        review.learned = (answer.learned or "").strip() or None
        review.new_text = (answer.new_text or "").strip() or None
        review.actual_confidence = answer.actual_confidence
        core.timers.cancel(
            session=session,
            team_id=team_id,
            kind=TimerKind.REVIEW_REMINDER,
            ref_id=int(review.id or 0),
        )
        replacement = None
        if answer.outcome in (ReviewAnswer.KEEP, ReviewAnswer.SNOOZE):
            review.next_review_on = (
                answer.next_review_on
                if answer.outcome == ReviewAnswer.KEEP
                else now + SNOOZES[answer.snooze or "week"]
            )
            decision.review_on = review.next_review_on  # type: ignore[assignment]
            if decision.status == DecisionStatus.UNDER_REVIEW:
                decision.status = DecisionStatus.ACTIVE
            schedule_review(core, session=session, decision=decision)
        else:
            decision.status = (
                DecisionStatus.AMENDED
                if answer.outcome == ReviewAnswer.AMEND
                else DecisionStatus.REVERSED
            )
            # A halted decision answered this way no longer waits for the Andon cord.
            pull = andon_rows.open_pull(
                session=session, team_id=team_id, decision_id=int(decision.id or 0)
            )
            if pull is not None:
                pull.resolved_at, pull.resolved_by, pull.resolution = now, user_id, answer.outcome
                session.add(pull)
            core.timers.cancel(
                session=session,
                team_id=team_id,
                kind=TimerKind.REVIEW_DUE,
                ref_id=int(decision.id or 0),
            )
            if review.new_text:
                replacement = _replace(core, session, decision, review, user_id, now)
        session.add(review)
        session.add(decision)
        add_decision_event(
            session=session,
            team_id=team_id,
            decision_id=int(decision.id or 0),
            at=now,
            kind=f"review_{answer.outcome}",
            user_id=user_id,
            detail={
                "actual_confidence": review.actual_confidence,
                "learned": review.learned,
                "new_text": review.new_text,
                "next_review_on": review.next_review_on,
                "snooze": answer.snooze,
                "replaced_by": replacement.number if replacement else None,
            },
        )
        dissenters: tuple[str, ...] = ()
        if answer.outcome in (ReviewAnswer.AMEND, ReviewAnswer.REVERSE):
            votes = log_rows.current_dissent(
                session=session, team_id=team_id, decision_id=int(decision.id or 0)
            )
            dissenters = tuple(dict.fromkeys(v.user_id for v in votes))
        session.flush()
        result = ReviewResult(
            review=review, decision=decision, replacement=replacement, dissenters=dissenters
        )
    log_summary.forget_metrics(team_id=team_id)  # calibration changed: no stale figures
    return result


def _validate(answer: Answer, now: datetime) -> None:
    if answer.outcome not in tuple(ReviewAnswer):
        raise ReviewError(f"unknown review outcome {answer.outcome!r}")
    for field in ("learned", "new_text"):
        if (message := too_long(getattr(answer, field) or "", TEXT_CHARS, "text")) is not None:
            raise ReviewError(message, field)
    if answer.outcome == ReviewAnswer.SNOOZE:
        if answer.snooze not in SNOOZES:
            raise ReviewError("Snooze for a week or a month.")
        return
    if answer.actual_confidence is None or not 1 <= answer.actual_confidence <= 100:
        raise ReviewError("Say how much information you actually had (1–100%).", "actual")
    if answer.outcome == ReviewAnswer.KEEP:
        if answer.next_review_on is None or answer.next_review_on <= now:
            raise ReviewError("Pick a next review date in the future.", "next_review")
        return
    if not (answer.learned or "").strip():
        raise ReviewError("Write a line about what we learned.", "learned")
    if answer.outcome == ReviewAnswer.AMEND and not (answer.new_text or "").strip():
        raise ReviewError("Write the amended decision.", "new_text")


def _replace(
    core: Core, session: Session, decision: Decision, review: Review, user_id: str, now: datetime
) -> Decision:
    """The decision that replaces an amended or reversed one, linked both ways."""
    confidence = review.actual_confidence or decision.confidence
    replacement = insert_decision(
        session=session,
        team_id=decision.team_id,
        decision=Decision(
            team_id=decision.team_id,
            number=0,
            channel_id=decision.channel_id,
            owner_id=decision.owner_id,
            proposed_by=user_id,
            proposal=review.new_text or "",
            final_text=review.new_text,
            confidence=confidence,
            door=decision.door,
            review_on=default_review_on(confidence, now),
            status=DecisionStatus.ACTIVE,
            source="review",
            narrative_id=decision.narrative_id,
            created_at=now,
            decided_at=now,
            replaces_id=decision.id,
        ),
    )
    decision.replaced_by_id = replacement.id
    add_decision_event(
        session=session,
        team_id=decision.team_id,
        decision_id=int(replacement.id or 0),
        at=now,
        kind="replaces",
        user_id=user_id,
        detail={"replaces": decision.number, "outcome": review.outcome},
    )
    schedule_review(core, session=session, decision=replacement)
    return replacement


def thread_of(core: Core, *, team_id: str, decision: Decision) -> str | None:
    """The ts of the message whose thread holds a decision's conversation.

    A poll's thread starts at the poll; a logged decision's at its announcement. A decision that
    replaced another was recorded as a reply in the older one's thread, so it follows that
    thread (Slack asks for the parent's ts, never a reply's).
    """
    seen: set[int] = set()
    current: Decision | None = decision
    with session_scope(core.engine) as session:
        while current is not None and current.id not in seen:
            seen.add(int(current.id or 0))
            if current.poll_ts:
                return current.poll_ts
            if current.replaces_id is None:
                return current.record_ts
            current = get_decision(
                session=session, team_id=team_id, decision_id=current.replaces_id
            )
    return None


def owner_of(core: Core, team_id: str, decision_id: int) -> str | None:
    """The owner of a decision of this workspace, or None when there is no such decision."""
    with session_scope(core.engine) as session:
        decision = get_decision(session=session, team_id=team_id, decision_id=decision_id)
        return decision.owner_id if decision is not None else None


# --- what people are shown ------------------------------------------------------------------


NOT_YOURS = "Only the decision's owner (or a workspace admin) can answer its review."
ANSWERED = "This review was already answered."
GONE = "This review no longer exists."
# Errors without a field of their own show under "learned", which every form has.
DEFAULT_FIELD = "learned"


def prompt_view(prompt: ReviewPrompt) -> ReviewPromptView:
    d = prompt.decision
    pull = prompt.halted_by
    return ReviewPromptView(
        review_id=int(prompt.review.id or 0),
        label=decision_label(d.number),
        decision_text=decision_text(d),
        confidence=d.confidence,
        confidence_note=confidence_note(d.confidence),
        decided_at=d.decided_at,
        permalink=d.permalink,
        dissent=tuple(
            DissentLine(
                person=v.user_id,
                committed=v.choice == Stance.DISAGREE_COMMIT or v.committed_at is not None,
                reason=v.reason or "",
            )
            for v in prompt.dissent
        ),
        halted=HaltLine(pull.user_id, pull.pulled_at, pull.reason) if pull is not None else None,
        reminder=prompt.reminder,
    )


def _next_review(result: ReviewResult) -> datetime | None:
    review = result.review
    if review.outcome in (ReviewAnswer.KEEP, ReviewAnswer.SNOOZE):
        return review.next_review_on
    return None


def _replacement_label(result: ReviewResult) -> str | None:
    return decision_label(result.replacement.number) if result.replacement is not None else None


def answered_view(result: ReviewResult) -> ReviewAnsweredView:
    return ReviewAnsweredView(
        label=decision_label(result.decision.number),
        outcome=ReviewAnswer(result.review.outcome or ReviewAnswer.KEEP),
        decision_text=decision_text(result.decision),
        next_review_on=_next_review(result),
        replaced_by=_replacement_label(result),
        learned=result.review.learned,
    )


def outcome_view(result: ReviewResult) -> ReviewOutcomeView:
    d, review = result.decision, result.review
    return ReviewOutcomeView(
        label=decision_label(d.number),
        outcome=ReviewAnswer(review.outcome or ReviewAnswer.KEEP),
        by=review.answered_by or d.owner_id,
        replacement_label=_replacement_label(result),
        replacement_text=decision_text(result.replacement) if result.replacement else None,
        learned=review.learned,
        next_review_on=_next_review(result),
    )


def dissent_view(result: ReviewResult) -> DissentRelevantView:
    return DissentRelevantView(
        label=decision_label(result.decision.number),
        owner=result.decision.owner_id,
        outcome=ReviewAnswer(result.review.outcome or ReviewAnswer.AMEND),
        replaced_by=_replacement_label(result),
        learned=result.review.learned,
    )


# --- timers ---------------------------------------------------------------------------------


def register_timers(core: Core) -> None:
    """The review timers: the owner's direct message and its one reminder."""
    core.timers.register(TimerKind.REVIEW_DUE, partial(send_review, core))
    core.timers.register(TimerKind.REVIEW_REMINDER, partial(send_reminder, core))


def send_review(core: Core, timer: Timer) -> None:
    """A `review_due` timer: the owner's direct message, in their working hours."""
    owner = owner_of(core, timer.team_id, timer.ref_id)
    if owner is None:
        return
    platform = core.platform_for(timer.team_id)
    prompt = start_review(core, timer=timer, tz=platform.timezone(timer.team_id, owner))
    if prompt is None:
        return
    decision = prompt.decision
    # Where the platform cannot reach the owner privately, they are mentioned in the decision's
    # channel (not wherever they were last seen).
    sent = platform.dm(
        timer.team_id, decision.owner_id, prompt_view(prompt), fallback=decision.channel_id
    )
    mark_sent(
        core,
        team_id=timer.team_id,
        review_id=int(prompt.review.id or 0),
        channel=sent.place,
        ts=sent.id,
    )


def send_reminder(core: Core, timer: Timer) -> None:
    """A `review_reminder` timer: the one reminder of an unanswered review."""
    found = review_with_decision(core, team_id=timer.team_id, review_id=timer.ref_id)
    if found is None:
        return
    owner = found[1].owner_id
    platform = core.platform_for(timer.team_id)
    prompt = due_reminder(core, timer=timer, tz=platform.timezone(timer.team_id, owner))
    if prompt is None:
        return
    platform.dm(timer.team_id, owner, prompt_view(prompt), fallback=found[1].channel_id)
    mark_reminded(core, team_id=timer.team_id, review_id=timer.ref_id)


# --- answering --------------------------------------------------------------------------------

# Brings a poll's own messages (the poll and its record) up to date after a review changed its
# decision; given by the platform edge until the decisions feature does this through the port.


def _answerable(
    core: Core, platform: ChatPlatform, *, team_id: str, user_id: str, review_id: int
) -> tuple[Review, Decision] | Notice:
    """The review and decision if `user_id` may answer it now; else why not."""
    found = review_with_decision(core, team_id=team_id, review_id=review_id)
    if found is None:
        return notice(GONE)
    review, decision = found
    if user_id != decision.owner_id and not platform.is_admin(team_id, user_id):
        return notice(NOT_YOURS)
    if review.answered_at is not None:
        return notice(ANSWERED)
    closed = closed_note(decision)
    if closed is not None:
        return notice(closed)
    return review, decision


def open_keep(
    core: Core, platform: ChatPlatform, *, team_id: str, user_id: str, review_id: int
) -> Reply:
    """Keep: the form asking for the next review date (by default the same interval again).
    The owner's time zone is looked up now, so answering the form needs no look-up."""
    found = _answerable(core, platform, team_id=team_id, user_id=user_id, review_id=review_id)
    if isinstance(found, Notice):
        return found
    review, decision = found
    interval = max(review.due_at - (decision.decided_at or decision.created_at), timedelta(days=1))
    return OpenForm(
        KeepForm(
            review_id=review_id,
            label=decision_label(decision.number),
            decision_text=decision_text(decision),
            next_review=(core.clock.now() + interval).date(),
            tz=platform.timezone(team_id, user_id),
            confidence=decision.confidence,
        )
    )


def open_change(
    core: Core,
    platform: ChatPlatform,
    *,
    team_id: str,
    user_id: str,
    review_id: int,
    outcome: ReviewAnswer,
) -> Reply:
    """Amend or Reverse: the form asking for the new wording and what was learned."""
    found = _answerable(core, platform, team_id=team_id, user_id=user_id, review_id=review_id)
    if isinstance(found, Notice):
        return found
    decision = found[1]
    return OpenForm(
        ChangeForm(
            review_id=review_id,
            label=decision_label(decision.number),
            decision_text=decision_text(decision),
            outcome=outcome,
        )
    )


def snooze(
    core: Core,
    platform: ChatPlatform,
    *,
    team_id: str,
    user_id: str,
    review_id: int,
    period: str,
) -> Reply:
    """Snooze a week or a month: answered at once, then announced."""
    result = _snoozed(
        core, platform, team_id=team_id, user_id=user_id, review_id=review_id, period=period
    )
    if isinstance(result, Notice):
        return result
    announce(core, platform, result)
    return None


def _snoozed(
    core: Core,
    platform: ChatPlatform,
    *,
    team_id: str,
    user_id: str,
    review_id: int,
    period: str,
) -> ReviewResult | Notice:
    """The review snoozed by its owner, or why not."""
    found = _answerable(core, platform, team_id=team_id, user_id=user_id, review_id=review_id)
    if isinstance(found, Notice):
        return found
    try:
        return answer_review(
            core,
            team_id=team_id,
            review_id=review_id,
            user_id=user_id,
            answer=Answer(outcome=ReviewAnswer.SNOOZE, snooze=period),
        )
    except ReviewError as exc:
        return notice(str(exc))


@dataclass(frozen=True)
class FormAnswer:
    """A submitted Keep or Amend/Reverse form, as its fields were filled in."""

    outcome: str
    actual_confidence: int | None = None
    learned: str | None = None
    new_text: str | None = None
    next_review_day: date | None = None
    tz: str | None = None  # the owner's zone when the form opened (older forms have none)


def answers_in_form(core: Core, *, team_id: str, user_id: str, review_id: int) -> bool | None:
    """Whether `user_id` is answered inside the form (the owner, or an admin by configuration):
    None when there is no such review. Anyone else's admin standing is asked of the platform
    only after the form was acknowledged (it may be slow)."""
    found = review_with_decision(core, team_id=team_id, review_id=review_id)
    if found is None:
        return None
    return user_id == found[1].owner_id or user_id in core.admin_user_ids


def submit_form(
    core: Core,
    platform: ChatPlatform,
    *,
    team_id: str,
    user_id: str,
    review_id: int,
    form: FormAnswer,
    in_form: bool,
) -> ReviewResult | FormErrors | None:
    """Record a submitted form. `in_form` (see `answers_in_form`): errors are returned to show in
    the form; otherwise the form is closed already and the person is told privately (None).
    The result is then `announce`d."""
    if form.outcome not in (ReviewAnswer.KEEP, ReviewAnswer.AMEND, ReviewAnswer.REVERSE):
        return FormErrors(((DEFAULT_FIELD, GONE),))
    if not in_form and not platform.is_admin(team_id, user_id):
        platform.tell(team_id, user_id, notice(NOT_YOURS))
        return None
    next_review_on = None
    if form.outcome == ReviewAnswer.KEEP and form.next_review_day is not None:
        tz = form.tz if form.tz is not None else platform.timezone(team_id, user_id)
        next_review_on = at_nine(form.next_review_day, tz)
    answer = Answer(
        outcome=form.outcome,
        actual_confidence=form.actual_confidence,
        learned=form.learned,
        new_text=form.new_text,
        next_review_on=next_review_on,
    )
    try:
        return answer_review(
            core, team_id=team_id, review_id=review_id, user_id=user_id, answer=answer
        )
    except ReviewError as exc:
        if not in_form:
            platform.tell(team_id, user_id, warning(str(exc)))
            return None
        return FormErrors(((exc.field or DEFAULT_FIELD, str(exc)),))


@dataclass(frozen=True)
class Answered:
    """A review answered where the platform answers the click itself (Teams): the owner's
    message as it now reads, and the announcement, to run after answering."""

    view: ReviewAnsweredView
    announce: Callable[[], None]


def _answered(core: Core, platform: ChatPlatform, result: ReviewResult) -> Answered:
    return Answered(answered_view(result), partial(announce, core, platform, result))


def snooze_here(
    core: Core,
    platform: ChatPlatform,
    *,
    team_id: str,
    user_id: str,
    review_id: int,
    period: str,
) -> Answered | Notice:
    """Snooze a week or a month, answered in the click's own answer; `Answered.announce`
    then shows the outcome."""
    result = _snoozed(
        core, platform, team_id=team_id, user_id=user_id, review_id=review_id, period=period
    )
    return result if isinstance(result, Notice) else _answered(core, platform, result)


def submit_here(
    core: Core,
    platform: ChatPlatform,
    *,
    team_id: str,
    user_id: str,
    review_id: int,
    form: FormAnswer,
) -> Answered | FormErrors | Notice:
    """A Keep or Amend/Reverse form, answered in the submission's own answer (the platform
    can wait for the admin look-up): errors to show beside the fields, or who may not answer;
    `Answered.announce` then shows the outcome."""
    in_form = answers_in_form(core, team_id=team_id, user_id=user_id, review_id=review_id)
    if in_form is None:
        return notice(GONE)
    if not in_form and not platform.is_admin(team_id, user_id):
        return notice(NOT_YOURS)
    result = submit_form(
        core,
        platform,
        team_id=team_id,
        user_id=user_id,
        review_id=review_id,
        form=form,
        in_form=True,
    )
    if isinstance(result, ReviewResult):
        return _answered(core, platform, result)
    return result if result is not None else notice(GONE)


def announce(core: Core, platform: ChatPlatform, result: ReviewResult) -> None:
    """Everything shown after a review was answered: the poll's messages, the owner's direct
    message, the outcome in the decision's thread, a word to each recorded dissenter. Each step
    is best effort: the answer is recorded, and one failed post must not hide the others."""
    review, decision = result.review, result.decision
    team = decision.team_id
    if decision.poll_ts:
        # Imported here: the decisions module reads reviews' schedule (a cycle at import time).
        from bot import decisions

        _try(
            "refresh the decision's messages",
            lambda: decisions.show(core, team_id=team, decision_id=int(decision.id or 0)),
        )
    if review.dm_channel and review.dm_ts:
        ref = MessageRef(review.dm_channel, review.dm_ts)
        _try(
            "update the review message",
            lambda: platform.update(team, ref, lambda: answered_view(result), wait=True),  # type: ignore[call-arg]
        )
    thread = thread_of(core, team_id=team, decision=decision)
    if decision.channel_id and thread:
        channel = decision.channel_id
        posted = _try(
            "post the review outcome in the thread",
            lambda: platform.post(team, channel, outcome_view(result), thread=thread),
        )
        if posted is not None and result.replacement is not None:
            set_record_message(
                core,
                team_id=team,
                decision_id=int(result.replacement.id or 0),
                ts=posted.id,
                permalink=platform.permalink(team, posted),
            )
    for person in result.dissenters:
        _try(
            f"tell dissenter {person}",
            lambda person=person: platform.dm(team, person, dissent_view(result)),  # type: ignore[misc]
        )


def _try(what: str, call: Callable[[], T]) -> T | None:
    try:
        return call()
    except (PostFailed, PostUnconfirmed, Unreachable) as exc:
        log.warning("could not %s: %s", what, exc)
    except Exception:  # noqa: BLE001 - an adapter's own error on an update sent in turn
        log.warning("could not %s", what, exc_info=True)
    return None
