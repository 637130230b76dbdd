"""Reflection rounds: the standard questions, per-channel schedules, answers and the digest.

A round is posted in a channel (now, or when its schedule's timer comes due) through the
platform port, collects answers from a form and from thread replies until it closes, and closes
exactly once with a digest. What answers a person is returned as a view (`bot.views.reflections`);
the two timer kinds are handled here (`register_timers`).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.inputs import is_slack_id
from bot.port import ChatPlatform, MessageRef, PostFailed
from bot.reflection_schedule import Schedule, from_rule, next_occurrence
from bot.views import FormErrors, OpenForm
from bot.views import reflections as views
from bot.views.reflections import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_QUESTIONS_TOTAL_CHARS,
    DigestAnswer,
    Participation,
    RoundDigest,
    answer_field,
)
from bot.vocabulary import AnswerSource, RoundState, TimerKind
from storage import decisions as decision_rows
from storage import reflections as rows
from storage.db import session_scope
from storage.models import ReflectionAnswer, ReflectionRound, ReflectionSchedule, Timer

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

__all__ = ["MAX_ANSWER_CHARS", "MAX_QUESTIONS", "STANDARD_QUESTIONS", "register_timers"]

STANDARD_QUESTIONS: tuple[str, ...] = (
    "What were the biggest mistakes we made last period, and what have we learned from them?",
    "What are the key inputs for this business?",
    "What is the single biggest thing we can do to move the needle, and how will we organize "
    "to do just that?",
    "What are the top reasons we should not do what we are proposing today?",
    "When push comes to shove, what are the things we won't compromise on?",
    "What's hard about the problem we are trying to solve?",
    "If our team had X more people or Y more dollars, how would we deploy those resources?",
    "What are the top three new initiatives, products or experiments we launched in the past "
    "period, and what did we learn from them?",
    "What dependencies do we have today over which we wish we had control?",
)

DEFAULT_COLLECT = timedelta(hours=48)
MIN_COLLECT = timedelta(hours=1)
MAX_COLLECT = timedelta(days=14)
# A scheduled round that starts later than this after its due time says it is late.
LATE_AFTER = timedelta(minutes=10)
# Why a scheduled round could not be posted that only a person can fix (invite the bot, pick
# another channel): the scheduler is told once; other refusals are only retried.
NEEDS_A_PERSON = ("not_in_channel", "channel_not_found", "is_archived")
# A digest message holds at most this many characters of questions and answers and this many
# questions; a longer digest becomes several messages in the round's thread (nothing is cut).
# Small enough that a platform's markup (escaping, mentions) still fits its message limits.
DIGEST_PART_CHARS = 6000
DIGEST_PART_SECTIONS = 12

_DECISION_REF = re.compile(r"(?<![\w-])D-(\d{1,9})\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(?:q\s*(\d{1,2})\s*[.):-]?|(\d{1,2})\s*[.):])\s*", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-*•])\s*")


class ReflectionError(Exception):
    """Something a person asked for cannot be done; the message says why."""


class NotAllowed(ReflectionError):
    """The person may not change this channel's reflection settings."""


NOT_OWNER = (
    "Only the person who set up this channel's reflections, or a workspace admin, can change them."
)
NOT_MEMBER = "Only members of a channel can set up its reflections."
GONE = "This round no longer exists."


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


@dataclass(frozen=True)
class QuestionsChange:
    """A checked questions form: the channel's new questions, or None to reset them."""

    channel_id: str
    questions: tuple[str, ...] | None


# --- small pure helpers -----------------------------------------------------------------------


def pick_questions(questions: list[str], pick: int | None, rotation: int) -> tuple[list[str], int]:
    """A rotating window of `pick` questions, so the same question does not come every round."""
    n = len(questions)
    if not pick or pick >= n:
        return list(questions), rotation
    start = rotation % n
    chosen = [questions[(start + i) % n] for i in range(pick)]
    return chosen, (start + pick) % n


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


def parse_question_lines(text: str) -> list[str]:
    """One question per line; list marks (`1.`, `-`) are dropped so a pasted list works."""
    questions = []
    for line in text.splitlines():
        question = _LIST_MARK.sub("", line).strip()
        if question:
            questions.append(question)
    if not questions:
        raise ReflectionError("Write at least one question, one per line.")
    if len(questions) > MAX_QUESTIONS:
        raise ReflectionError(f"A channel can have at most {MAX_QUESTIONS} questions.")
    if len("\n".join(questions)) > MAX_QUESTIONS_TOTAL_CHARS:
        raise ReflectionError(
            f"Keep the questions under {MAX_QUESTIONS_TOTAL_CHARS:,} characters in all."
        )
    for question in questions:
        if len(question) > MAX_QUESTION_CHARS:
            raise ReflectionError(
                f"Keep each question under {MAX_QUESTION_CHARS} characters "
                f"(one is {len(question)})."
            )
    return questions


def round_card(round_: RoundView) -> views.RoundCard:
    return views.RoundCard(
        round_id=round_.id,
        questions=round_.questions,
        closes_at=round_.closes_at,
        late=round_.late,
        scheduled_for=round_.scheduled_for,
    )


def _round_view(row: ReflectionRound) -> RoundView:
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


def _questions_of(session: Session, team_id: str, channel_id: str) -> tuple[list[str], bool]:
    found = rows.get_question_set(session=session, team_id=team_id, channel_id=channel_id)
    if found is None:
        return list(STANDARD_QUESTIONS), False
    return list(json.loads(found.questions)), True


# --- questions --------------------------------------------------------------------------------


def _settings_owner(session: Session, team_id: str, channel_id: str) -> str | None:
    """Who set up the channel's reflections: the schedule's creator (a settings row is made by
    the first change of any kind), else whoever saved questions before such rows existed."""
    row = rows.get_schedule(session=session, team_id=team_id, channel_id=channel_id)
    if row is not None:
        return row.created_by
    found = rows.get_question_set(session=session, team_id=team_id, channel_id=channel_id)
    return found.updated_by if found is not None else None


def _ensure_may_change(
    session: Session,
    team_id: str,
    channel_id: str,
    user_id: str,
    *,
    is_admin: bool,
    is_member: bool,
) -> None:
    """The settings' creator and admins may change them; while nobody owns them, any member of
    the channel may, and becomes their creator."""
    if not is_slack_id(channel_id):
        raise NotAllowed("Run /reflect again in the channel.")
    if is_admin:
        return
    owner = _settings_owner(session, team_id, channel_id)
    if owner is None and not is_member:
        raise NotAllowed(NOT_MEMBER)
    if owner is not None and owner != user_id:
        raise NotAllowed(NOT_OWNER)


def ensure_may_change(
    core: Core, *, team_id: str, channel_id: str, user_id: str, is_admin: bool
) -> None:
    """NotAllowed unless `user_id` (a member of the channel) may change its settings."""
    with session_scope(core.engine) as session:
        _ensure_may_change(session, team_id, channel_id, user_id, is_admin=is_admin, is_member=True)


def channel_questions(core: Core, *, team_id: str, channel_id: str) -> tuple[list[str], bool]:
    """The channel's questions, and whether they differ from the standard nine."""
    with session_scope(core.engine) as session:
        return _questions_of(session, team_id, channel_id)


def save_questions(
    core: Core,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    questions: list[str],
    is_admin: bool,
    is_member: bool,
) -> None:
    """Raises NotAllowed unless `user_id` may change the channel's settings."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        _ensure_may_change(
            session, team_id, channel_id, user_id, is_admin=is_admin, is_member=is_member
        )
        rows.save_schedule(
            session=session, schedule=_settings_row(session, team_id, channel_id, user_id, now)
        )
        rows.save_question_set(
            session=session,
            team_id=team_id,
            channel_id=channel_id,
            questions_json=json.dumps(questions),
            user_id=user_id,
            now=now,
        )


def reset_questions(
    core: Core, *, team_id: str, channel_id: str, user_id: str, is_admin: bool, is_member: bool
) -> None:
    with session_scope(core.engine) as session:
        _ensure_may_change(
            session, team_id, channel_id, user_id, is_admin=is_admin, is_member=is_member
        )
        rows.delete_question_set(session=session, team_id=team_id, channel_id=channel_id)


# --- schedules --------------------------------------------------------------------------------


def _settings_row(
    session: Session, team_id: str, channel_id: str, user_id: str, now: datetime
) -> ReflectionSchedule:
    row = rows.get_schedule(session=session, team_id=team_id, channel_id=channel_id)
    if row is None:
        row = ReflectionSchedule(
            team_id=team_id,
            channel_id=channel_id,
            rule="off",
            tz="UTC",
            created_by=user_id,
            active=False,
            created_at=now,
        )
    return row


def schedule_channel(
    core: Core,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    schedule: Schedule,
    tz: str,
    is_admin: bool,
    collect: timedelta | None = None,
) -> datetime:
    """Schedule the channel's rounds (replacing any schedule); returns the first round's time.
    Raises NotAllowed unless `user_id` may change the channel's settings."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        _ensure_may_change(session, team_id, channel_id, user_id, is_admin=is_admin, is_member=True)
        row = _settings_row(session, team_id, channel_id, user_id, now)
        row.rule, row.tz, row.active = schedule.rule, tz, True
        if collect is not None:
            row.collect_hours = max(1, int(collect.total_seconds() // 3600))
        row.next_at = next_occurrence(schedule, tz, after=now)
        rows.save_schedule(session=session, schedule=row)
        schedule_id = int(row.id or 0)
        core.timers.cancel(
            session=session, team_id=team_id, kind=TimerKind.REFLECTION_ROUND, ref_id=schedule_id
        )
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=TimerKind.REFLECTION_ROUND,
            ref_id=schedule_id,
            due_at=row.next_at,
        )
        return row.next_at


def stop_schedule(
    core: Core, *, team_id: str, channel_id: str, user_id: str, is_admin: bool
) -> bool:
    """Stop the channel's rounds; False when none were scheduled. Open rounds still close.
    Raises NotAllowed unless `user_id` may change the channel's settings."""
    with session_scope(core.engine) as session:
        row = rows.get_schedule(session=session, team_id=team_id, channel_id=channel_id)
        if row is None or not row.active:
            return False
        _ensure_may_change(session, team_id, channel_id, user_id, is_admin=is_admin, is_member=True)
        row.active, row.next_at = False, None
        rows.save_schedule(session=session, schedule=row)
        core.timers.cancel(
            session=session,
            team_id=team_id,
            kind=TimerKind.REFLECTION_ROUND,
            ref_id=int(row.id or 0),
        )
        return True


def set_pick(
    core: Core, *, team_id: str, channel_id: str, user_id: str, pick: int | None, is_admin: bool
) -> int:
    """Ask `pick` questions per round (None: all); returns how many questions the channel has.
    Raises NotAllowed unless `user_id` may change the channel's settings."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        _ensure_may_change(session, team_id, channel_id, user_id, is_admin=is_admin, is_member=True)
        questions, _ = _questions_of(session, team_id, channel_id)
        row = _settings_row(session, team_id, channel_id, user_id, now)
        row.pick = pick
        rows.save_schedule(session=session, schedule=row)
        return len(questions)


def channel_status(core: Core, *, team_id: str, channel_id: str) -> views.ReflectionStatus:
    with session_scope(core.engine) as session:
        questions, custom = _questions_of(session, team_id, channel_id)
        row = rows.get_schedule(session=session, team_id=team_id, channel_id=channel_id)
        last = rows.latest_round(session=session, team_id=team_id, channel_id=channel_id)
        answers = (
            rows.list_answers(session=session, team_id=team_id, round_id=int(last.id or 0))
            if last
            else []
        )
        active = row is not None and row.active
        return views.ReflectionStatus(
            schedule=from_rule(row.rule).describe() if row is not None and active else None,
            tz=row.tz if row is not None and active else None,
            next_at=row.next_at if row is not None and active else None,
            pick=row.pick if row is not None else None,
            collect=timedelta(hours=row.collect_hours) if row is not None else DEFAULT_COLLECT,
            question_count=len(questions),
            custom_questions=custom,
            last_round_at=(last.posted_at or last.created_at) if last else None,
            last_round_answers=len(answers),
            last_round_people=len({a.user_id for a in answers}),
            last_round_open=bool(last and last.state == RoundState.OPEN),
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
    questions, _ = _questions_of(session, team_id, channel_id)
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
    """A round asked for now (`/reflect now`); post it, then call `round_posted`."""
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
        return _round_view(row)


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
                round=_round_view(unposted) if unposted is not None else None,
                next_at=settings.next_at,
                scheduled_by=settings.created_by,
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
            round=_round_view(row), next_at=settings.next_at, scheduled_by=settings.created_by
        )


def round_posted(core: Core, *, team_id: str, round_id: int, message_ts: str) -> None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is not None:
            row.message_ts, row.posted_at = message_ts, core.clock.now()
            session.add(row)


def discard_round(core: Core, *, team_id: str, round_id: int) -> None:
    """Forget a round that could not be posted (e.g. the bot is not in the channel)."""
    with session_scope(core.engine) as session:
        core.timers.cancel(
            session=session, team_id=team_id, kind=TimerKind.REFLECTION_CLOSE, ref_id=round_id
        )
        rows.delete_round(session=session, team_id=team_id, round_id=round_id)


def get_round(core: Core, *, team_id: str, round_id: int) -> RoundView | None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        return _round_view(row) if row is not None else None


def is_open(round_: RoundView, now: datetime) -> bool:
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
    if row.state != RoundState.OPEN or now >= row.closes_at:
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
        if row is None:
            return None
        if row.state != RoundState.OPEN or now >= row.closes_at:
            return False
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
        if row is None:
            return None
        if row.state != RoundState.OPEN or now >= row.closes_at:
            return False
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
        return _round_view(row)


def build_digest(
    core: Core,
    *,
    team_id: str,
    round_id: int,
    member_ids: frozenset[str] | None = None,
    channel_is_public: Callable[[str], bool] | None = None,
) -> RoundDigest:
    """Per question, the answers with their authors; participation against `member_ids`.

    An answer names a decision made elsewhere only if everyone reading the digest may see it:
    one without a channel, of the round's own channel, or of a channel `channel_is_public`
    says is public (without it, no other channel's decision is named)."""
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is None:
            raise ReflectionError(GONE)
        view = _round_view(row)
        answers = []
        for a in rows.list_answers(session=session, team_id=team_id, round_id=round_id):
            decision = (
                decision_rows.get_decision(
                    session=session, team_id=team_id, decision_id=a.decision_id
                )
                if a.decision_id is not None
                else None
            )
            if decision is not None and not _shown_in(decision.channel_id, view, channel_is_public):
                decision = None
            answers.append(
                DigestAnswer(
                    person=a.user_id,
                    question_index=a.question_index,
                    text=a.text,
                    source=a.source,
                    decision_number=decision.number if decision else None,
                    decision_link=decision.permalink if decision else None,
                )
            )
    authors = frozenset(a.person for a in answers)
    return RoundDigest(
        round_id=view.id,
        place=view.channel_id,
        questions=tuple(
            (q, tuple(a for a in answers if a.question_index == i))
            for i, q in enumerate(view.questions)
        ),
        free_replies=tuple(a for a in answers if a.question_index is None),
        participation=Participation(
            authors=len(authors),
            member_count=len(member_ids) if member_ids is not None else None,
            answered_members=len(authors & member_ids) if member_ids is not None else None,
        ),
    )


def _shown_in(
    channel_id: str | None, round_: RoundView, channel_is_public: Callable[[str], bool] | None
) -> bool:
    if channel_id is None or channel_id == round_.channel_id:
        return True
    return channel_is_public is not None and channel_is_public(channel_id)


def digest_parts(digest: RoundDigest) -> list[views.DigestPart]:
    """The digest as thread messages of bounded size: a question whose answers do not fit goes
    on in the next message, marked as continued."""
    sections = [
        views.DigestSection(number, question, answers)
        for number, (question, answers) in enumerate(digest.questions, start=1)
    ]
    if digest.free_replies:
        sections.append(views.DigestSection(None, "", digest.free_replies))
    parts: list[list[views.DigestSection]] = [[]]
    size = 0
    for section in sections:
        head = len(section.question) + 20
        if parts[-1] and (
            size + head > DIGEST_PART_CHARS or len(parts[-1]) >= DIGEST_PART_SECTIONS
        ):
            parts.append([])
            size = 0
        size += head
        taken: list[DigestAnswer] = []
        continued = False
        for answer in section.answers:
            cost = len(answer.text) + 40
            if size + cost > DIGEST_PART_CHARS and (taken or parts[-1]):
                if taken:
                    parts[-1].append(replace(section, answers=tuple(taken), continued=continued))
                    continued = True
                parts.append([])
                size, taken = head, []
            taken.append(answer)
            size += cost
        parts[-1].append(replace(section, answers=tuple(taken), continued=continued))
    return [
        views.DigestPart(
            round_id=digest.round_id,
            first=i == 0,
            sections=tuple(part),
            answer_count=digest.answer_count,
            participation=digest.participation,
        )
        for i, part in enumerate(parts)
    ]


def digest_posted(
    core: Core, *, team_id: str, round_id: int, digest_ts: str, member_count: int | None
) -> None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is not None:
            row.digest_ts, row.member_count = digest_ts, member_count
            session.add(row)


# --- flows: what a person's command, click or form gets -----------------------------------------


def _post_round(core: Core, platform: ChatPlatform, round_: RoundView) -> MessageRef:
    """Post the round in its channel (listening there first: thread answers count) and
    remember its message. Raises `PostFailed`."""
    platform.listen(round_.team_id, round_.channel_id)
    ref = platform.post(round_.team_id, round_.channel_id, round_card(round_))
    round_posted(core, team_id=round_.team_id, round_id=round_.id, message_ts=ref.id)
    return ref


def post_now(
    core: Core, *, team_id: str, channel_id: str, collect: timedelta | None = None
) -> views.RoundNotPosted | None:
    """A round asked for now (`/reflect now`); one the platform refuses is discarded."""
    round_ = start_round(core, team_id=team_id, channel_id=channel_id, collect=collect)
    try:
        _post_round(core, core.platform_for(team_id), round_)
    except PostFailed as exc:
        discard_round(core, team_id=team_id, round_id=round_.id)
        log.warning("could not post reflection round in %s: %s", channel_id, exc.reason)
        return views.RoundNotPosted(exc.reason)
    return None


def set_schedule(
    core: Core,
    *,
    team_id: str,
    channel_id: str,
    user_id: str,
    schedule: Schedule,
    collect: timedelta | None = None,
) -> views.ScheduleSet | views.Refused:
    """Rounds on `schedule`, in the scheduler's time zone."""
    platform = core.platform_for(team_id)
    tz = platform.timezone(team_id, user_id)
    try:
        next_at = schedule_channel(
            core,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            schedule=schedule,
            tz=tz,
            is_admin=platform.is_admin(team_id, user_id),
            collect=collect,
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    return views.ScheduleSet(schedule.describe(), tz, next_at)


def clear_schedule(
    core: Core, *, team_id: str, channel_id: str, user_id: str
) -> views.ScheduleStopped | views.Refused:
    admin = core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        stopped = stop_schedule(
            core, team_id=team_id, channel_id=channel_id, user_id=user_id, is_admin=admin
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    return views.ScheduleStopped(stopped)


def pick_per_round(
    core: Core, *, team_id: str, channel_id: str, user_id: str, pick: int | None
) -> views.PickSet | views.Refused:
    """Ask a rotating `pick` of the channel's questions per round (None: all of them)."""
    admin = core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        count = set_pick(
            core,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            pick=pick,
            is_admin=admin,
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    return views.PickSet(pick, count)


def questions_form(
    core: Core, *, team_id: str, channel_id: str, user_id: str
) -> OpenForm | views.Refused:
    """The form that edits the channel's questions, for those who may change them."""
    admin = core.platform_for(team_id).is_admin(team_id, user_id)
    try:
        ensure_may_change(
            core, team_id=team_id, channel_id=channel_id, user_id=user_id, is_admin=admin
        )
    except NotAllowed as exc:
        return views.Refused(str(exc))
    questions, custom = channel_questions(core, team_id=team_id, channel_id=channel_id)
    return OpenForm(views.QuestionsForm(channel_id, tuple(questions), custom))


def check_questions_form(
    channel_id: str, text: str, *, reset: bool
) -> FormErrors | QuestionsChange:
    """What a submitted questions form asks for, or why the form stays open. Nothing is asked
    of the platform here, so the form can be answered at once."""
    if not is_slack_id(channel_id):
        return FormErrors(((views.QUESTIONS_FIELD, "Run /reflect questions again."),))
    if reset:
        return QuestionsChange(channel_id, None)
    try:
        return QuestionsChange(channel_id, tuple(parse_question_lines(text)))
    except ReflectionError as exc:
        return FormErrors(((views.QUESTIONS_FIELD, str(exc)),))


def change_questions(
    core: Core, *, team_id: str, user_id: str, change: QuestionsChange
) -> views.Private:
    """Save (or reset) the channel's questions. The channel came with the form, which the
    submitter controls: who may change it is checked again here. The note goes where the
    person reads it: in the channel for its members, else directly."""
    platform = core.platform_for(team_id)
    place = change.channel_id
    member = platform.is_public(team_id, place) or user_id in platform.members(team_id, place)
    admin = platform.is_admin(team_id, user_id)
    note: object
    try:
        if change.questions is None:
            reset_questions(
                core,
                team_id=team_id,
                channel_id=place,
                user_id=user_id,
                is_admin=admin,
                is_member=member,
            )
            note = views.QuestionsSaved(None)
        else:
            save_questions(
                core,
                team_id=team_id,
                channel_id=place,
                user_id=user_id,
                questions=list(change.questions),
                is_admin=admin,
                is_member=member,
            )
            note = views.QuestionsSaved(len(change.questions))
    except ReflectionError as exc:
        note = views.Problem(str(exc))
    return views.Private(note, place if member else None)


def answer_form(
    core: Core, *, team_id: str, round_id: int | None, user_id: str
) -> OpenForm | views.RoundClosed:
    """The Answer button: the answers form, prefilled, while the round is open."""
    round_ = get_round(core, team_id=team_id, round_id=round_id) if round_id is not None else None
    if round_ is None or not is_open(round_, core.clock.now()):
        return views.RoundClosed()
    existing = user_answers(core, team_id=team_id, round_id=round_.id, user_id=user_id)
    fields = tuple(
        views.AnswerField(answer_field(i), i, question, existing.get(i, ""))
        for i, question in enumerate(round_.questions)
    )
    return OpenForm(views.AnswersForm(round_.id, round_.closes_at, fields))


def submit_answers(
    core: Core, *, team_id: str, round_id: int | None, user_id: str, answers: dict[int, str]
) -> FormErrors | views.AnswersSaved:
    """A submitted answers form (`answers` by question index; a missing or empty one removes
    the person's answer): saved while the round is open, else the form says why."""
    round_ = get_round(core, team_id=team_id, round_id=round_id) if round_id is not None else None
    if round_ is None:
        return FormErrors(((answer_field(0), GONE),))
    try:
        count = save_modal_answers(
            core, team_id=team_id, round_id=round_.id, user_id=user_id, answers=answers
        )
    except ReflectionError as exc:
        return FormErrors(((answer_field(0), str(exc)),))
    return views.AnswersSaved(round_.channel_id, count, len(round_.questions), round_.closes_at)


# --- timers -------------------------------------------------------------------------------------


def round_due(core: Core, timer: Timer) -> None:
    """A schedule's round is due: post it. A refusal fails the timer, which retries it; the
    scheduler is told once when only a person can fix it."""
    due = scheduled_round_due(core, timer)
    if due.round is None:
        return
    platform = core.platform_for(timer.team_id)
    try:
        _post_round(core, platform, due.round)
    except PostFailed as exc:
        if timer.attempts == 1 and due.scheduled_by and exc.reason in NEEDS_A_PERSON:
            notice = views.RoundNotPosted(exc.reason, due.round.channel_id, scheduled=True)
            platform.tell(timer.team_id, due.scheduled_by, notice)
        raise


def close_due(core: Core, timer: Timer) -> None:
    """A round's time is up: close it once, post its digest in its thread, and show its message
    closed (no Answer button)."""
    round_ = close_round(core, team_id=timer.team_id, round_id=timer.ref_id)
    if round_ is None or round_.message_ts is None:
        return
    team, place = round_.team_id, round_.channel_id
    platform = core.platform_for(team)
    digest = build_digest(
        core,
        team_id=team,
        round_id=round_.id,
        member_ids=platform.people(team, place),
        channel_is_public=lambda channel: platform.is_public(team, channel),
    )
    refs = [
        platform.post(team, place, part, thread=round_.message_ts) for part in digest_parts(digest)
    ]
    digest_posted(
        core,
        team_id=team,
        round_id=round_.id,
        digest_ts=refs[0].id,
        member_count=digest.participation.member_count,
    )
    closed = views.ClosedRoundCard(
        round_.id, round_.questions, round_.closes_at, digest.answer_count
    )
    platform.update(team, MessageRef(place, round_.message_ts), lambda: closed)


def register_timers(core: Core) -> None:
    core.timers.register(TimerKind.REFLECTION_ROUND, lambda timer: round_due(core, timer))
    core.timers.register(TimerKind.REFLECTION_CLOSE, lambda timer: close_due(core, timer))
