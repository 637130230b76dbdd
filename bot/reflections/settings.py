"""A channel's reflection settings: its questions (the standard nine, or its own), who may
change them, its schedule and how many questions a round asks."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session

from bot.inputs import is_slack_id
from bot.reflection_schedule import Schedule, from_rule, next_occurrence
from bot.views import reflections as views
from bot.views.reflections import (
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_QUESTIONS_TOTAL_CHARS,
)
from bot.vocabulary import RoundState, TimerKind
from storage import reflections as rows
from storage.db import session_scope
from storage.models import ReflectionSchedule

if TYPE_CHECKING:
    from bot.core import Core


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
# How long a round collects answers, unless the command or the schedule says otherwise.
DEFAULT_COLLECT = timedelta(hours=48)
MIN_COLLECT = timedelta(hours=1)
MAX_COLLECT = timedelta(days=14)


class ReflectionError(Exception):
    """Something a person asked for cannot be done; the message says why."""


class NotAllowed(ReflectionError):
    """The person may not change this channel's reflection settings."""


_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}\s*[.)]|[-*•])\s*")

NOT_OWNER = (
    "Only the person who set up this channel's reflections, or a workspace admin, can change them."
)
NOT_MEMBER = "Only members of a channel can set up its reflections."
GONE = "This round no longer exists."


# --- small pure helpers -----------------------------------------------------------------------


def pick_questions(questions: list[str], pick: int | None, rotation: int) -> tuple[list[str], int]:
    """A rotating window of `pick` questions, so the same question does not come every round."""
    n = len(questions)
    if not pick or pick >= n:
        return list(questions), rotation
    start = rotation % n
    chosen = [questions[(start + i) % n] for i in range(pick)]
    return chosen, (start + pick) % n


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


def questions_of(session: Session, team_id: str, channel_id: str) -> tuple[list[str], bool]:
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
        return questions_of(session, team_id, channel_id)


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
        questions, _ = questions_of(session, team_id, channel_id)
        row = _settings_row(session, team_id, channel_id, user_id, now)
        row.pick = pick
        rows.save_schedule(session=session, schedule=row)
        return len(questions)


def channel_status(core: Core, *, team_id: str, channel_id: str) -> views.ReflectionStatus:
    with session_scope(core.engine) as session:
        questions, custom = questions_of(session, team_id, channel_id)
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
