"""Andon cord pulls on decisions."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import AndonPull


def open_pull(*, session: Session, team_id: str, decision_id: int) -> AndonPull | None:
    """The pull that halts the decision now, if any."""
    stmt = (
        select(AndonPull)
        .where(
            AndonPull.team_id == team_id,
            AndonPull.decision_id == decision_id,
            col(AndonPull.resolved_at).is_(None),
        )
        .order_by(col(AndonPull.pulled_at).desc(), col(AndonPull.id).desc())
    )
    return session.exec(stmt).first()


def latest_pull(*, session: Session, team_id: str, decision_id: int) -> AndonPull | None:
    stmt = (
        select(AndonPull)
        .where(AndonPull.team_id == team_id, AndonPull.decision_id == decision_id)
        .order_by(col(AndonPull.pulled_at).desc(), col(AndonPull.id).desc())
    )
    return session.exec(stmt).first()


def add_pull(
    *, session: Session, team_id: str, decision_id: int, user_id: str, reason: str, at: datetime
) -> AndonPull:
    pull = AndonPull(
        team_id=team_id, decision_id=decision_id, user_id=user_id, reason=reason, pulled_at=at
    )
    session.add(pull)
    session.flush()
    return pull
