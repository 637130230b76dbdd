"""Reviews: on a decision's review date its owner is asked whether it is still right.

The review timer (`review_due`, ref = decision id) fires once; the direct message goes out in
the owner's working hours (09:00–17:00, Monday to Friday, in their own time zone), so a timer
that comes due at night or at a weekend is moved to the next working-hours slot. An unanswered
review gets one reminder three days later (`review_reminder`, ref = review id) and then shows as
overdue in the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import Core
from bot.decision_log import REVIEW_DUE, REVIEW_REMINDER, STATUS_NAMES, schedule_review
from bot.inputs import TEXT_CHARS, too_long
from bot.proposals import default_review_on
from storage import andon as andon_rows
from storage import decision_log as log_rows
from storage import log_summary
from storage.db import session_scope
from storage.decisions import add_decision_event, decision_label, get_decision, insert_decision
from storage.models import AndonPull, Decision, Review, Timer, Vote

WORK_START = time(9, 0)
WORK_END = time(17, 0)
REMINDER_AFTER = timedelta(days=3)
SNOOZES = {"week": timedelta(days=7), "month": timedelta(days=30)}
OUTCOMES = ("keep", "amend", "reverse", "snooze")
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
                kind=REVIEW_DUE,
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
    if decision.status != "halted":
        return None
    return andon_rows.open_pull(
        session=session, team_id=decision.team_id, decision_id=int(decision.id or 0)
    )


def _new_review(core: Core, session: Session, decision: Decision, now: datetime) -> Review:
    review = Review(
        team_id=decision.team_id, decision_id=int(decision.id or 0), due_at=decision.review_on
    )
    session.add(review)
    if decision.status == "active":
        decision.status = "under_review"
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
        kind=REVIEW_REMINDER,
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
                kind=REVIEW_REMINDER,
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
    status = STATUS_NAMES.get(decision.status, decision.status)
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
class ReviewAnswer:
    outcome: str  # keep | amend | reverse | snooze
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
    core: Core, *, team_id: str, review_id: int, user_id: str, answer: ReviewAnswer
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
            session=session, team_id=team_id, kind=REVIEW_REMINDER, ref_id=int(review.id or 0)
        )
        replacement = None
        if answer.outcome in ("keep", "snooze"):
            review.next_review_on = (
                answer.next_review_on
                if answer.outcome == "keep"
                else now + SNOOZES[answer.snooze or "week"]
            )
            decision.review_on = review.next_review_on  # type: ignore[assignment]
            if decision.status == "under_review":
                decision.status = "active"
            schedule_review(core, session=session, decision=decision)
        else:
            decision.status = "amended" if answer.outcome == "amend" else "reversed"
            # A halted decision answered this way no longer waits for the Andon cord.
            pull = andon_rows.open_pull(
                session=session, team_id=team_id, decision_id=int(decision.id or 0)
            )
            if pull is not None:
                pull.resolved_at, pull.resolved_by, pull.resolution = now, user_id, answer.outcome
                session.add(pull)
            core.timers.cancel(
                session=session, team_id=team_id, kind=REVIEW_DUE, ref_id=int(decision.id or 0)
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
        if answer.outcome in ("amend", "reverse"):
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


def _validate(answer: ReviewAnswer, now: datetime) -> None:
    if answer.outcome not in OUTCOMES:
        raise ReviewError(f"unknown review outcome {answer.outcome!r}")
    for field in ("learned", "new_text"):
        if (message := too_long(getattr(answer, field) or "", TEXT_CHARS, "text")) is not None:
            raise ReviewError(message, field)
    if answer.outcome == "snooze":
        if answer.snooze not in SNOOZES:
            raise ReviewError("Snooze for a week or a month.")
        return
    if answer.actual_confidence is None or not 1 <= answer.actual_confidence <= 100:
        raise ReviewError("Say how much information you actually had (1–100%).", "actual")
    if answer.outcome == "keep":
        if answer.next_review_on is None or answer.next_review_on <= now:
            raise ReviewError("Pick a next review date in the future.", "next_review")
        return
    if not (answer.learned or "").strip():
        raise ReviewError("Write a line about what we learned.", "learned")
    if answer.outcome == "amend" and not (answer.new_text or "").strip():
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
            status="active",
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
