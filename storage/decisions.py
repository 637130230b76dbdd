"""Decision rows: creation with per-workspace numbers (D-1, D-2, …), lookup and history."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import Decision, DecisionEvent


def insert_decision(*, session: Session, team_id: str, decision: Decision) -> Decision:
    """Insert `decision` with the workspace's next number. The unique (team_id, number) key makes
    two concurrent inserts safe: the loser takes the next number."""
    decision.team_id = team_id
    for _ in range(20):
        current = session.exec(
            select(func.max(Decision.number)).where(Decision.team_id == team_id)
        ).one()
        decision.number = int(current or 0) + 1
        try:
            with session.begin_nested():
                session.add(decision)
                session.flush()
            return decision
        except IntegrityError:
            session.expunge(decision) if decision in session else None
            decision.id = None
    raise RuntimeError("could not allocate a decision number")


def get_decision(*, session: Session, team_id: str, decision_id: int) -> Decision | None:
    decision = session.get(Decision, decision_id)
    if decision is None or decision.team_id != team_id:
        return None
    return decision


def get_decision_by_number(*, session: Session, team_id: str, number: int) -> Decision | None:
    stmt = select(Decision).where(Decision.team_id == team_id, Decision.number == number)
    return session.exec(stmt).first()


def add_decision_event(
    *,
    session: Session,
    team_id: str,
    decision_id: int,
    at: datetime,
    kind: str,
    user_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> DecisionEvent:
    """Append to a decision's history (who, when, what changed)."""
    row = DecisionEvent(
        team_id=team_id,
        decision_id=decision_id,
        at=at,
        user_id=user_id,
        kind=kind,
        detail=json.dumps(detail, default=str) if detail is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def decision_label(number: int) -> str:
    return f"D-{number}"
