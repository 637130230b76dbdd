"""Slack delivery bookkeeping: which event ids were already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
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


def purge_events(*, session: Session, before: datetime) -> int:
    """Forget event ids received before `before`, in every workspace (housekeeping: Slack
    retries a delivery for minutes, not days). Returns how many were removed."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
