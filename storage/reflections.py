"""Reflection rows: channel schedules and question sets, rounds and their answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.vocabulary import AnswerSource, RoundState
from storage.models import (
    ReflectionAnswer,
    ReflectionQuestionSet,
    ReflectionRound,
    ReflectionSchedule,
)

# --- schedules ---------------------------------------------------------------------------------


def get_schedule(*, session: Session, team_id: str, channel_id: str) -> ReflectionSchedule | None:
    stmt = select(ReflectionSchedule).where(
        ReflectionSchedule.team_id == team_id, ReflectionSchedule.channel_id == channel_id
    )
    return session.exec(stmt).first()


def get_schedule_by_id(
    *, session: Session, team_id: str, schedule_id: int
) -> ReflectionSchedule | None:
    row = session.get(ReflectionSchedule, schedule_id)
    if row is None or row.team_id != team_id:
        return None
    return row


def save_schedule(*, session: Session, schedule: ReflectionSchedule) -> ReflectionSchedule:
    session.add(schedule)
    session.flush()
    return schedule


# --- question sets -----------------------------------------------------------------------------


def get_question_set(
    *, session: Session, team_id: str, channel_id: str
) -> ReflectionQuestionSet | None:
    return session.get(ReflectionQuestionSet, (team_id, channel_id))


def save_question_set(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    questions_json: str,
    user_id: str,
    now: datetime,
) -> ReflectionQuestionSet:
    row = get_question_set(session=session, team_id=team_id, channel_id=channel_id)
    if row is None:
        row = ReflectionQuestionSet(team_id=team_id, channel_id=channel_id, questions="[]")
    row.questions = questions_json
    row.updated_by = user_id
    row.updated_at = now
    session.add(row)
    session.flush()
    return row


def delete_question_set(*, session: Session, team_id: str, channel_id: str) -> None:
    session.execute(
        delete(ReflectionQuestionSet).where(
            col(ReflectionQuestionSet.team_id) == team_id,
            col(ReflectionQuestionSet.channel_id) == channel_id,
        )
    )


# --- rounds ------------------------------------------------------------------------------------


def insert_round(*, session: Session, team_id: str, round_: ReflectionRound) -> ReflectionRound:
    round_.team_id = team_id
    session.add(round_)
    session.flush()
    return round_


def get_round(*, session: Session, team_id: str, round_id: int) -> ReflectionRound | None:
    row = session.get(ReflectionRound, round_id)
    if row is None or row.team_id != team_id:
        return None
    return row


def get_round_by_message(
    *, session: Session, team_id: str, channel_id: str, message_ts: str
) -> ReflectionRound | None:
    stmt = select(ReflectionRound).where(
        ReflectionRound.team_id == team_id,
        ReflectionRound.channel_id == channel_id,
        ReflectionRound.message_ts == message_ts,
    )
    return session.exec(stmt).first()


def unposted_round(
    *, session: Session, team_id: str, schedule_id: int, now: datetime
) -> ReflectionRound | None:
    """The schedule's open round that never got its message (its post failed), if any."""
    stmt = (
        select(ReflectionRound)
        .where(
            ReflectionRound.team_id == team_id,
            ReflectionRound.schedule_id == schedule_id,
            ReflectionRound.state == RoundState.OPEN,
            ReflectionRound.closes_at > now,
            col(ReflectionRound.message_ts).is_(None),
        )
        .order_by(col(ReflectionRound.id).desc())
    )
    return session.exec(stmt).first()


def latest_round(*, session: Session, team_id: str, channel_id: str) -> ReflectionRound | None:
    stmt = (
        select(ReflectionRound)
        .where(
            ReflectionRound.team_id == team_id,
            ReflectionRound.channel_id == channel_id,
            col(ReflectionRound.message_ts).is_not(None),
        )
        .order_by(col(ReflectionRound.created_at).desc(), col(ReflectionRound.id).desc())
    )
    return session.exec(stmt).first()


def close_round_once(*, session: Session, team_id: str, round_id: int, now: datetime) -> bool:
    """Move an open round to closed. A single UPDATE decides, so only one caller ever wins."""
    result = session.execute(
        update(ReflectionRound)
        .where(
            col(ReflectionRound.id) == round_id,
            col(ReflectionRound.team_id) == team_id,
            col(ReflectionRound.state) == RoundState.OPEN,
        )
        .values(state=RoundState.CLOSED.value, closed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def delete_round(*, session: Session, team_id: str, round_id: int) -> None:
    session.execute(
        delete(ReflectionAnswer).where(
            col(ReflectionAnswer.team_id) == team_id, col(ReflectionAnswer.round_id) == round_id
        )
    )
    session.execute(
        delete(ReflectionRound).where(
            col(ReflectionRound.team_id) == team_id, col(ReflectionRound.id) == round_id
        )
    )


# --- answers -----------------------------------------------------------------------------------


def list_answers(*, session: Session, team_id: str, round_id: int) -> list[ReflectionAnswer]:
    stmt = (
        select(ReflectionAnswer)
        .where(ReflectionAnswer.team_id == team_id, ReflectionAnswer.round_id == round_id)
        .order_by(col(ReflectionAnswer.answered_at), col(ReflectionAnswer.id))
    )
    return list(session.exec(stmt))


def user_modal_answers(
    *, session: Session, team_id: str, round_id: int, user_id: str
) -> list[ReflectionAnswer]:
    stmt = select(ReflectionAnswer).where(
        ReflectionAnswer.team_id == team_id,
        ReflectionAnswer.round_id == round_id,
        ReflectionAnswer.user_id == user_id,
        ReflectionAnswer.source == AnswerSource.FORM,
    )
    return list(session.exec(stmt))


def get_thread_answer(
    *, session: Session, team_id: str, round_id: int, message_ts: str
) -> ReflectionAnswer | None:
    stmt = select(ReflectionAnswer).where(
        ReflectionAnswer.team_id == team_id,
        ReflectionAnswer.round_id == round_id,
        ReflectionAnswer.source == AnswerSource.THREAD,
        ReflectionAnswer.message_ts == message_ts,
    )
    return session.exec(stmt).first()


def save_answer(*, session: Session, answer: ReflectionAnswer) -> ReflectionAnswer:
    session.add(answer)
    session.flush()
    return answer


def delete_answer(*, session: Session, answer: ReflectionAnswer) -> None:
    session.delete(answer)
    session.flush()
