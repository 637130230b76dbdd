"""Votes on a decision poll: the current vote of each person, and every vote ever cast."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Decision, Vote


def lock_decision(*, session: Session, team_id: str, decision_id: int) -> Decision | None:
    """The decision row, locked for this transaction (PostgreSQL `FOR UPDATE`; SQLite already
    holds the write lock from `BEGIN IMMEDIATE`), so concurrent votes and finalizing serialize."""
    stmt = (
        select(Decision)
        .where(Decision.id == decision_id, Decision.team_id == team_id)
        .with_for_update()
    )
    return session.exec(stmt).first()


def current_votes(*, session: Session, team_id: str, decision_id: int) -> list[Vote]:
    """Each voter's last vote, oldest first."""
    stmt = (
        select(Vote)
        .where(Vote.team_id == team_id, Vote.decision_id == decision_id, col(Vote.current))
        .order_by(col(Vote.cast_at), col(Vote.id))
    )
    return list(session.exec(stmt))


def current_vote(*, session: Session, team_id: str, decision_id: int, user_id: str) -> Vote | None:
    stmt = select(Vote).where(
        Vote.team_id == team_id,
        Vote.decision_id == decision_id,
        Vote.user_id == user_id,
        col(Vote.current),
    )
    return session.exec(stmt).first()


def vote_history(*, session: Session, team_id: str, decision_id: int) -> list[Vote]:
    """Every vote cast, in order, including those later changed."""
    stmt = (
        select(Vote)
        .where(Vote.team_id == team_id, Vote.decision_id == decision_id)
        .order_by(col(Vote.cast_at), col(Vote.id))
    )
    return list(session.exec(stmt))


def add_vote(
    *,
    session: Session,
    team_id: str,
    decision_id: int,
    user_id: str,
    choice: str,
    reason: str | None,
    at: datetime,
    committed_at: datetime | None = None,
) -> Vote:
    """Record a vote; the voter's previous vote stays in history but stops counting.
    `committed_at`: when the voter committed to the decision (the core's rule says when)."""
    previous = current_vote(
        session=session, team_id=team_id, decision_id=decision_id, user_id=user_id
    )
    if previous is not None:
        previous.current = False
        session.add(previous)
    vote = Vote(
        team_id=team_id,
        decision_id=decision_id,
        user_id=user_id,
        choice=choice,
        reason=reason,
        cast_at=at,
        current=True,
        committed_at=committed_at,
    )
    session.add(vote)
    session.flush()
    return vote
