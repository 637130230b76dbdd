"""Reflection rounds: the standard questions, per-channel schedules, answers and the digest.

A round is posted in a channel (now, or when its schedule's timer comes due), collects answers
from a modal and from thread replies until it closes, and closes exactly once with a digest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core import Core
from bot.inputs import is_slack_id
from bot.reflection_schedule import Schedule, from_rule, next_occurrence
from storage import decisions as decision_rows
from storage import reflections as rows
from storage.db import session_scope
from storage.models import ReflectionAnswer, ReflectionRound, ReflectionSchedule, Timer

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

ROUND_KIND = "reflection_round"  # ref_id: ReflectionSchedule.id
CLOSE_KIND = "reflection_close"  # ref_id: ReflectionRound.id
DEFAULT_COLLECT = timedelta(hours=48)
MIN_COLLECT = timedelta(hours=1)
MAX_COLLECT = timedelta(days=14)
# A scheduled round that starts later than this after its due time says it is late.
LATE_AFTER = timedelta(minutes=10)
MAX_QUESTIONS = 25  # one modal field each, and Slack allows 100 blocks per modal
MAX_QUESTION_CHARS = 500
# All of a channel's questions, one per line, must fit in the form that edits them.
MAX_QUESTIONS_TOTAL_CHARS = 3000
MAX_ANSWER_CHARS = 3000

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


# --- values handed to the renderers -----------------------------------------------------------


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
class AnswerView:
    user_id: str
    question_index: int | None
    text: str
    source: str
    decision_number: int | None = None
    decision_permalink: str | None = None


@dataclass(frozen=True)
class Digest:
    round: RoundView
    questions: tuple[tuple[str, tuple[AnswerView, ...]], ...]
    free_replies: tuple[AnswerView, ...]
    authors: frozenset[str]
    member_count: int | None = None
    answered_members: int | None = None


@dataclass(frozen=True)
class ChannelStatus:
    schedule: Schedule | None
    tz: str | None
    next_at: datetime | None
    pick: int | None
    collect: timedelta
    question_count: int
    custom_questions: bool
    last_round_at: datetime | None
    last_round_answers: int
    last_round_people: int
    last_round_open: bool


@dataclass(frozen=True)
class ScheduledRound:
    """What a due `reflection_round` timer produced: the round to post (None: nothing to do)."""

    round: RoundView | None
    next_at: datetime | None
    scheduled_by: str | None = None


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
        core.timers.cancel(session=session, team_id=team_id, kind=ROUND_KIND, ref_id=schedule_id)
        core.timers.add(
            session=session,
            team_id=team_id,
            kind=ROUND_KIND,
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
            session=session, team_id=team_id, kind=ROUND_KIND, ref_id=int(row.id or 0)
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


def channel_status(core: Core, *, team_id: str, channel_id: str) -> ChannelStatus:
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
        return ChannelStatus(
            schedule=from_rule(row.rule) if row is not None and active else None,
            tz=row.tz if row is not None and active else None,
            next_at=row.next_at if row is not None and active else None,
            pick=row.pick if row is not None else None,
            collect=timedelta(hours=row.collect_hours) if row is not None else DEFAULT_COLLECT,
            question_count=len(questions),
            custom_questions=custom,
            last_round_at=(last.posted_at or last.created_at) if last else None,
            last_round_answers=len(answers),
            last_round_people=len({a.user_id for a in answers}),
            last_round_open=bool(last and last.state == "open"),
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
        kind=CLOSE_KIND,
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
            kind=ROUND_KIND,
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
        core.timers.cancel(session=session, team_id=team_id, kind=CLOSE_KIND, ref_id=round_id)
        rows.delete_round(session=session, team_id=team_id, round_id=round_id)


def get_round(core: Core, *, team_id: str, round_id: int) -> RoundView | None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        return _round_view(row) if row is not None else None


def is_open(round_: RoundView, now: datetime) -> bool:
    return round_.state == "open" and now < round_.closes_at


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
    if row.state != "open" or now >= row.closes_at:
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
                    source="modal",
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
        if row.state != "open" or now >= row.closes_at:
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
                source="thread",
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
        if row.state != "open" or now >= row.closes_at:
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
) -> Digest:
    """Per question, the answers with their authors; participation against `member_ids`.

    An answer names a decision made elsewhere only if everyone reading the digest may see it:
    one without a channel, of the round's own channel, or of a channel `channel_is_public`
    says is public (without it, no other channel's decision is named)."""
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is None:
            raise ReflectionError("This reflection round no longer exists.")
        view = _round_view(row)
        found = rows.list_answers(session=session, team_id=team_id, round_id=round_id)
        answers = []
        for a in found:
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
                AnswerView(
                    user_id=a.user_id,
                    question_index=a.question_index,
                    text=a.text,
                    source=a.source,
                    decision_number=decision.number if decision else None,
                    decision_permalink=decision.permalink if decision else None,
                )
            )
    per_question = tuple(
        (q, tuple(a for a in answers if a.question_index == i))
        for i, q in enumerate(view.questions)
    )
    authors = frozenset(a.user_id for a in answers)
    return Digest(
        round=view,
        questions=per_question,
        free_replies=tuple(a for a in answers if a.question_index is None),
        authors=authors,
        member_count=len(member_ids) if member_ids is not None else None,
        answered_members=len(authors & member_ids) if member_ids is not None else None,
    )


def _shown_in(
    channel_id: str | None, round_: RoundView, channel_is_public: Callable[[str], bool] | None
) -> bool:
    if channel_id is None or channel_id == round_.channel_id:
        return True
    return channel_is_public is not None and channel_is_public(channel_id)


def digest_posted(
    core: Core, *, team_id: str, round_id: int, digest_ts: str, member_count: int | None
) -> None:
    with session_scope(core.engine) as session:
        row = rows.get_round(session=session, team_id=team_id, round_id=round_id)
        if row is not None:
            row.digest_ts, row.member_count = digest_ts, member_count
            session.add(row)
