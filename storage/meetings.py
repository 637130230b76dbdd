"""Narrative rows: reading periods, readers, questions and their 👍."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.vocabulary import ReadingState
from storage.models import Narrative, NarrativeReader, Question, QuestionUpvote

# --- narratives -------------------------------------------------------------------------------


def insert_narrative(*, session: Session, team_id: str, narrative: Narrative) -> Narrative:
    narrative.team_id = team_id
    session.add(narrative)
    session.flush()
    return narrative


def get_narrative(*, session: Session, team_id: str, narrative_id: int) -> Narrative | None:
    narrative = session.get(Narrative, narrative_id, populate_existing=True)
    if narrative is None or narrative.team_id != team_id:
        return None
    return narrative


def get_narrative_by_message(
    *, session: Session, team_id: str, channel_id: str, message_ts: str
) -> Narrative | None:
    stmt = select(Narrative).where(
        Narrative.team_id == team_id,
        Narrative.channel_id == channel_id,
        Narrative.message_ts == message_ts,
    )
    return session.exec(stmt).first()


def has_unposted_narrative(
    *, session: Session, team_id: str, channel_id: str, since: datetime
) -> bool:
    """Whether a reading period started in this channel since `since` still has no message."""
    stmt = select(Narrative.id).where(
        Narrative.team_id == team_id,
        Narrative.channel_id == channel_id,
        Narrative.state == ReadingState.READING.value,
        col(Narrative.message_ts).is_(None),
        Narrative.started_at >= since,
    )
    return session.exec(stmt.limit(1)).first() is not None


def open_narratives(*, session: Session, team_id: str, channel_id: str) -> list[Narrative]:
    """The channel's reading periods still in progress, newest first."""
    stmt = (
        select(Narrative)
        .where(
            Narrative.team_id == team_id,
            Narrative.channel_id == channel_id,
            Narrative.state == ReadingState.READING.value,
        )
        .order_by(col(Narrative.started_at).desc(), col(Narrative.id).desc())
    )
    return list(session.exec(stmt))


def set_message_ts(*, session: Session, team_id: str, narrative_id: int, message_ts: str) -> None:
    session.execute(
        update(Narrative)
        .where(col(Narrative.id) == narrative_id, Narrative.team_id == team_id)
        .values(message_ts=message_ts)
    )


def end_reading(
    *, session: Session, team_id: str, narrative_id: int, now: datetime, reason: str
) -> bool:
    """Move a reading period to `ended`. One UPDATE decides, so it ends exactly once."""
    result = session.execute(
        update(Narrative)
        .where(
            col(Narrative.id) == narrative_id,
            Narrative.team_id == team_id,
            Narrative.state == ReadingState.READING.value,
        )
        .values(state=ReadingState.ENDED.value, ended_at=now, end_reason=reason)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def claim_digest(
    *,
    session: Session,
    team_id: str,
    narrative_id: int,
    now: datetime,
    lease: timedelta | None = None,
) -> bool:
    """Claim the right to post an ended narrative's digest (or what is missing of it); True for
    one caller at a time. A claim older than `lease` belongs to a process that died posting."""
    unclaimed = col(Narrative.digest_posted_at).is_(None)
    result = session.execute(
        update(Narrative)
        .where(
            col(Narrative.id) == narrative_id,
            Narrative.team_id == team_id,
            Narrative.state == ReadingState.ENDED.value,
            col(Narrative.digest_done_at).is_(None),
            unclaimed
            if lease is None
            else or_(unclaimed, col(Narrative.digest_posted_at) < now - lease),
        )
        .values(digest_posted_at=now)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def release_digest(*, session: Session, team_id: str, narrative_id: int) -> None:
    """Give a claimed digest back (posting failed), so that a retry can post it."""
    session.execute(
        update(Narrative)
        .where(col(Narrative.id) == narrative_id, Narrative.team_id == team_id)
        .values(digest_posted_at=None)
    )


def digest_part_posted(*, session: Session, team_id: str, narrative_id: int, part: int) -> bool:
    """Count part `part` (from 0) as posted; False when it was counted already."""
    result = session.execute(
        update(Narrative)
        .where(
            col(Narrative.id) == narrative_id,
            Narrative.team_id == team_id,
            Narrative.digest_parts_posted == part,
        )
        .values(digest_parts_posted=part + 1)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def digest_done(*, session: Session, team_id: str, narrative_id: int, now: datetime) -> None:
    session.execute(
        update(Narrative)
        .where(col(Narrative.id) == narrative_id, Narrative.team_id == team_id)
        .values(digest_done_at=now)
    )


# --- readers ----------------------------------------------------------------------------------


def add_expected_readers(
    *, session: Session, team_id: str, narrative_id: int, user_ids: Iterable[str]
) -> None:
    for user_id in dict.fromkeys(user_ids):
        session.add(
            NarrativeReader(
                team_id=team_id, narrative_id=narrative_id, user_id=user_id, expected=True
            )
        )
    session.flush()


def readers(*, session: Session, team_id: str, narrative_id: int) -> list[NarrativeReader]:
    stmt = (
        select(NarrativeReader)
        .where(NarrativeReader.team_id == team_id, NarrativeReader.narrative_id == narrative_id)
        .order_by(col(NarrativeReader.id))
    )
    return list(session.exec(stmt))


def mark_done(
    *, session: Session, team_id: str, narrative_id: int, user_id: str, now: datetime
) -> bool:
    """Record that `user_id` finished reading. False when they already had (a second click)."""
    result = session.execute(
        update(NarrativeReader)
        .where(
            NarrativeReader.team_id == team_id,
            NarrativeReader.narrative_id == narrative_id,
            NarrativeReader.user_id == user_id,
            col(NarrativeReader.done_at).is_(None),
        )
        .values(done_at=now)
    )
    if (result.rowcount or 0) == 1:  # type: ignore[attr-defined]
        return True
    try:
        with session.begin_nested():
            session.add(
                NarrativeReader(
                    team_id=team_id,
                    narrative_id=narrative_id,
                    user_id=user_id,
                    expected=False,
                    done_at=now,
                )
            )
            session.flush()
    except IntegrityError:
        return False  # the row exists and is already done
    return True


# --- questions --------------------------------------------------------------------------------


def add_question(*, session: Session, team_id: str, question: Question) -> Question | None:
    """Store a question. None when a question for the same message exists (a repeated event)."""
    question.team_id = team_id
    try:
        with session.begin_nested():
            session.add(question)
            session.flush()
    except IntegrityError:
        return None
    return question


def find_thread_question(
    *, session: Session, team_id: str, channel_id: str, message_ts: str
) -> Question | None:
    stmt = (
        select(Question)
        .join(Narrative, col(Narrative.id) == col(Question.narrative_id))
        .where(
            Question.team_id == team_id,
            Narrative.team_id == team_id,
            Narrative.channel_id == channel_id,
            Question.message_ts == message_ts,
        )
    )
    return session.exec(stmt).first()


def digest_questions(
    *, session: Session, team_id: str, narrative_id: int
) -> list[tuple[Question, int]]:
    """The questions of the reading period (not deleted, not asked after it) with their 👍."""
    # Counted per question of this narrative through the (question, person) key: grouping the
    # workspace's 👍 first made the digest grow with every narrative ever held.
    upvotes = (
        select(func.count())
        .select_from(QuestionUpvote)
        .where(QuestionUpvote.question_id == col(Question.id))
        .correlate(Question)
        .scalar_subquery()
    )
    stmt = select(Question, upvotes).where(
        Question.team_id == team_id,
        Question.narrative_id == narrative_id,
        col(Question.deleted_at).is_(None),
        col(Question.after_reading).is_(False),
    )
    return [(q, int(n)) for q, n in session.exec(stmt)]


def questions_of(*, session: Session, team_id: str, narrative_id: int) -> list[Question]:
    """Every question of a narrative, deleted ones included, oldest first."""
    stmt = (
        select(Question)
        .where(Question.team_id == team_id, Question.narrative_id == narrative_id)
        .order_by(col(Question.asked_at), col(Question.id))
    )
    return list(session.exec(stmt))


def add_upvote(*, session: Session, team_id: str, question_id: int, user_id: str) -> bool:
    try:
        with session.begin_nested():
            session.add(QuestionUpvote(team_id=team_id, question_id=question_id, user_id=user_id))
            session.flush()
    except IntegrityError:
        return False
    return True


def remove_upvote(*, session: Session, team_id: str, question_id: int, user_id: str) -> bool:
    result = session.execute(
        delete(QuestionUpvote).where(
            QuestionUpvote.team_id == team_id,
            QuestionUpvote.question_id == question_id,
            QuestionUpvote.user_id == user_id,
        )
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]
