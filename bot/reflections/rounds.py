"""Reflection rounds: made now or when their schedule is due, posted once, answered in the
form and in their thread until they close, exactly once."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.reflection_schedule import from_rule, next_occurrence
from bot.reflections.settings import (
    DEFAULT_COLLECT,
    ReflectionError,
    pick_questions,
    questions_of,
)
from bot.views import reflections as views
from bot.views.reflections import MAX_ANSWER_CHARS
from bot.vocabulary import AnswerSource, RoundState, TimerKind
from storage import decisions as decision_rows
from storage import reflections as rows
from storage.db import session_scope
from storage.models import ReflectionAnswer, ReflectionRound, ReflectionSchedule, Timer

if TYPE_CHECKING:
    from bot.core import Core


# A scheduled round that starts later than this after its due time says it is late.
LATE_AFTER = timedelta(minutes=10)
# Looks for a round whose post was never confirmed (the platform did not answer, or the bot
# died while posting) and posts it if it is missing; cancelled once the message is known.
CONFIRM_AFTER = timedelta(minutes=1)
_DECISION_REF = re.compile(r"(?<![\w-])D-(\d{1,9})\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(?:q\s*(\d{1,2})\s*[.):-]?|(\d{1,2})\s*[.):])\s*", re.IGNORECASE)


# --- values the flows pass around -------------------------------------------------------------


@dataclass(frozen=True)
class RoundView:
    id: int
    team_id: str
    channel_id: str
    questions: tuple[str, ...]
    closes_at: datetime
    state: str
    late: bool = False
    scheduled_for: datetime | None = None
    message_ts: str | None = None
    digest_ts: str | None = None


@dataclass(frozen=True)
class ScheduledRound:
    """What a due `reflection_round` timer produced: the round to post (None: nothing to do)."""

    round: RoundView | None
    next_at: datetime | None
    scheduled_by: str | None = None
    retry: bool = False  # an earlier try may have posted it: look for it first


def decision_numbers(text: str) -> list[int]:
    return [int(n) for n in _DECISION_REF.findall(text)]


def split_question_number(text: str, count: int) -> tuple[int | None, str]:
    """A thread reply starting `3.` or `Q3:` answers question 3; anything else is a free reply."""
    m = _NUMBERED.match(text)
    if m:
        number = int(m.group(1) or m.group(2))
        rest = text[m.end() :].strip()
        if 1 <= number <= count and rest:
            return number - 1, rest
    return None, text.strip()


def round_card(round_: RoundView) -> views.RoundCard:
    return views.RoundCard(
        round_id=round_.id,
        questions=round_.questions,
        closes_at=round_.closes_at,
        late=round_.late,
        scheduled_for=round_.scheduled_for,
    )


def round_view(row: ReflectionRound) -> RoundView:
    return RoundView(
        id=int(row.id or 0),
        team_id=row.team_id,
        channel_id=row.channel_id,
        questions=tuple(json.loads(row.questions)),
        closes_at=row.closes_at,
        state=row.state,
        late=row.late,
        scheduled_for=row.scheduled_for,
        message_ts=row.message_ts,
        digest_ts=row.digest_ts,
    )


# --- rounds -----------------------------------------------------------------------------------


def _create_round(
    core: Core,
    session: Session,
    *,
    team_id: str,
    channel_id: str,
    now: datetime,
    settings: ReflectionSchedule | None,
    scheduled_for: datetime | None = None,
    late: bool = False,
    collect: timedelta | None = None,
) -> ReflectionRound:
    questions, _ = questions_of(session, team_id, channel_id)
    if settings is not None:
        questions, settings.rotation = pick_questions(questions, settings.pick, settings.rotation)
        collect = collect or timedelta(hours=settings.collect_hours)
        rows.save_schedule(session=session, schedule=settings)
    row = rows.insert_round(
        session=session,
        team_id=team_id,
        round_=ReflectionRound(
            team_id=team_id,
            channel_id=channel_id,
            schedule_id=settings.id if settings is not None and scheduled_for else None,
            scheduled_for=scheduled_for,
            questions=json.dumps(questions),
            late=late,
            closes_at=now + (collect or DEFAULT_COLLECT),
            created_at=now,
        ),
    )
    core.timers.add(
        session=session,
        team_id=team_id,
        kind=TimerKind.REFLECTION_CLOSE,
        ref_id=int(row.id or 0),
        due_at=row.closes_at,
    )
    return row


def start_round(
    core: Core, *, team_id: str, channel_id: str, collect: timedelta | None = None
) -> RoundView:
    """A round asked for now (`/reflect now`); post it, then call `round_posted`. Unless its
    message is known within `CONFIRM_AFTER`, the reflection_confirm timer posts it if missing."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        settings = rows.get_schedule(session=session, team_id=team_id, channel_id=channel_id)
        row = _create_round(
            core,
            session,
            team_id=team_id,
            channel_id=channel_id,
            now=now,
            settings=settings,
            collect=collect,
        )
        # A scheduled round's own timer retries it; this one is only asked for once.
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=TimerKind.REFLECTION_CONFIRM,
            ref_id=int(row.id or 0),
            due_at=now + CONFIRM_AFTER,
        )
        return round_view(row)


def scheduled_round_due(core: Core, timer: Timer) -> ScheduledRound:
    """A `reflection_round` timer came due: create its round once and schedule the next one.

    The schedule's `next_at` is the due time (a retried timer has a later `due_at`). Only the
    next occurrence after now is scheduled, so a bot that was down for weeks posts one (late)
    round, never a catch-up burst. A retry after a failed post finds the schedule already moved
    on and posts the round that has no message yet.
    """
    now = core.clock.now()
    with session_scope(core.engine) as session:
        settings = rows.get_schedule_by_id(
            session=session, team_id=timer.team_id, schedule_id=timer.ref_id
        )
        if settings is None or not settings.active or settings.next_at is None:
            return ScheduledRound(round=None, next_at=None)
        if settings.next_at > now:
            # A retry of this schedule's last round, or a timer left from before a reschedule.
            unposted = rows.unposted_round(
                session=session, team_id=timer.team_id, schedule_id=int(settings.id or 0), now=now
            )
            return ScheduledRound(
                round=round_view(unposted) if unposted is not None else None,
                next_at=settings.next_at,
                scheduled_by=settings.created_by,
                retry=True,
            )
        due_at = settings.next_at
        row = _create_round(
            core,
            session,
            team_id=timer.team_id,
            channel_id=settings.channel_id,
            now=now,
            settings=settings,
            scheduled_for=due_at,
            late=now - due_at > LATE_AFTER,
        )
        settings.next_at = next_occurrence(
            from_rule(settings.rule), settings.tz, after=now, previous=due_at
        )
        rows.save_schedule(session=session, schedule=settings)
        core.timers.add(
            session=session,
            team_id=timer.team_id,
            kind=TimerKind.REFLECTION_ROUND,
            ref_id=int(settings.id or 0),
            due_at=settings.next_at,
        )
        return ScheduledRound(
            round=round_view(row), next_at=settings.next_at, scheduled_by=settings.created_by
        )


def round_posted(core: Core, *, team_id: str, round_id: int, message_ts: str) -> None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is not None:
            row.message_ts, row.posted_at = message_ts, core.clock.now()
            session.add(row)
        core.timers.cancel(
            session=session, team_id=team_id, kind=TimerKind.REFLECTION_CONFIRM, ref_id=round_id
        )


def round_to_confirm(core: Core, *, team_id: str, round_id: int) -> RoundView | None:
    """A round whose message may be missing in its channel (its ts never stored)."""
    round_ = get_round(core, team_id=team_id, round_id=round_id)
    return round_ if round_ is not None and round_.message_ts is None else None


def discard_round(core: Core, *, team_id: str, round_id: int) -> None:
    """Forget a round that could not be posted (e.g. the bot is not in the channel)."""
    with session_scope(core.engine) as session:
        for kind in (TimerKind.REFLECTION_CLOSE, TimerKind.REFLECTION_CONFIRM):
            core.timers.cancel(session=session, team_id=team_id, kind=kind, ref_id=round_id)
        rows.delete_round(session=session, team_id=team_id, round_id=round_id)


def get_round(core: Core, *, team_id: str, round_id: int) -> RoundView | None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        return round_view(row) if row is not None else None


def takes_answers(round_: RoundView | ReflectionRound, now: datetime) -> bool:
    """Open, and its closing time not reached (its close timer may not have run yet)."""
    return round_.state == RoundState.OPEN and now < round_.closes_at


# --- answers ----------------------------------------------------------------------------------


def user_answers(core: Core, *, team_id: str, round_id: int, user_id: str) -> dict[int, str]:
    """What `user_id` answered in the modal, by question index (to prefill it)."""
    with session_scope(core.engine) as session:
        found = rows.user_modal_answers(
            session=session, team_id=team_id, round_id=round_id, user_id=user_id
        )
        return {a.question_index: a.text for a in found if a.question_index is not None}


def _link_decision(session: Session, answer: ReflectionAnswer, at: datetime, question: str) -> None:
    """Link the answer to the first `D-n` it names that exists in the same workspace."""
    previous = answer.decision_id
    answer.decision_id = None
    for number in decision_numbers(answer.text):
        decision = decision_rows.get_decision_by_number(
            session=session,
            team_id=answer.team_id,
            number=number,
        )
        if decision is not None:
            answer.decision_id = decision.id
            break
    rows.save_answer(session=session, answer=answer)
    if answer.decision_id is not None and answer.decision_id != previous:
        # The decision's record shows the reflection answers that name it.
        decision_rows.add_decision_event(
            session=session,
            team_id=answer.team_id,
            decision_id=answer.decision_id,
            at=at,
            kind="reflection_answer",
            user_id=answer.user_id,
            detail={"round_id": answer.round_id, "answer_id": answer.id, "question": question},
        )


def _open_round_row(
    session: Session, team_id: str, round_id: int, now: datetime
) -> ReflectionRound:
    row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
    if row is None:
        raise ReflectionError("This reflection round no longer exists.")
    if not takes_answers(row, now):
        raise ReflectionError("This reflection round has closed; answers are no longer taken.")
    return row


def save_modal_answers(
    core: Core, *, team_id: str, round_id: int, user_id: str, answers: dict[int, str]
) -> int:
    """Store one person's modal answers (an emptied field removes that answer); returns how
    many questions they have answered. Raises ReflectionError once the round has closed."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        row = _open_round_row(session, team_id, round_id, now)
        questions = json.loads(row.questions)
        existing = {
            a.question_index: a
            for a in rows.user_modal_answers(
                session=session, team_id=team_id, round_id=round_id, user_id=user_id
            )
        }
        for index, question in enumerate(questions):
            text = (answers.get(index) or "").strip()[:MAX_ANSWER_CHARS]
            answer = existing.get(index)
            if not text:
                if answer is not None:
                    rows.delete_answer(session=session, answer=answer)
                continue
            if answer is None:
                answer = ReflectionAnswer(
                    team_id=team_id,
                    round_id=round_id,
                    user_id=user_id,
                    question_index=index,
                    text=text,
                    source=AnswerSource.FORM,
                    answered_at=now,
                )
            elif answer.text == text:
                continue
            else:
                answer.text, answer.updated_at = text, now
            _link_decision(session, answer, now, question)
        return sum(1 for i in range(len(questions)) if (answers.get(i) or "").strip())


def record_thread_reply(
    core: Core,
    *,
    team_id: str,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    message_ts: str,
    text: str,
) -> bool | None:
    """Keep a thread reply to a round's message as an answer.

    Returns None when the thread is not a round's, False when the round has closed (the reply
    is not kept), True when the answer was stored (or updated, for an edited reply).
    """
    now = core.clock.now()
    with session_scope(core.engine) as session:
        row = rows.get_round_by_message(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts
        )
        if row is None or not takes_answers(row, now):
            return None if row is None else False
        questions = json.loads(row.questions)
        index, body = split_question_number(text, len(questions))
        if not body:
            return False
        round_id = int(row.id or 0)
        answer = rows.get_thread_answer(
            session=session, team_id=team_id, round_id=round_id, message_ts=message_ts
        )
        if answer is None:
            answer = ReflectionAnswer(
                team_id=team_id,
                round_id=round_id,
                user_id=user_id,
                question_index=index,
                text=body[:MAX_ANSWER_CHARS],
                source=AnswerSource.THREAD,
                message_ts=message_ts,
                answered_at=now,
            )
        else:
            answer.question_index, answer.text = index, body[:MAX_ANSWER_CHARS]
            answer.updated_at = now
        _link_decision(session, answer, now, questions[index] if index is not None else "")
        return True


def delete_thread_reply(
    core: Core, *, team_id: str, channel_id: str, thread_ts: str, message_ts: str
) -> bool | None:
    """A deleted thread reply is no longer an answer (while the round is open)."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        row = rows.get_round_by_message(
            session=session, team_id=team_id, channel_id=channel_id, message_ts=thread_ts
        )
        if row is None or not takes_answers(row, now):
            return None if row is None else False
        answer = rows.get_thread_answer(
            session=session, team_id=team_id, round_id=int(row.id or 0), message_ts=message_ts
        )
        if answer is not None:
            rows.delete_answer(session=session, answer=answer)
        return True


# --- closing ----------------------------------------------------------------------------------


def close_round(core: Core, *, team_id: str, round_id: int) -> RoundView | None:
    """Close the round (exactly once). Returns the round while its digest is still to be posted,
    None when there is nothing to do (unknown round, never posted, or digest already posted)."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        rows.close_round_once(session=session, team_id=team_id, round_id=round_id, now=now)
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is None or row.message_ts is None or row.digest_ts is not None:
            return None
        return round_view(row)
