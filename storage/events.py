"""Slack delivery bookkeeping: which event ids were already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedEvent


def record_event(*, session: Session, team_id: str, event_id: str, now: datetime) -> bool:
    """Remember an event id. False when it was already there (a retried delivery)."""
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(team_id=team_id, event_id=event_id, received_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True
