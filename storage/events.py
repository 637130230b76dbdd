"""Slack delivery bookkeeping: which event ids were already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
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


def record_events(*, session: Session, deliveries: list[tuple[str, str]], now: datetime) -> None:
    """Remember many (team id, event id) pairs in one statement; pairs already there stay as
    they are (one INSERT, not a savepoint and a flush for each: it runs beside
    acknowledgements)."""
    if not deliveries:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    rows = [{"team_id": t, "event_id": e, "received_at": now} for t, e in deliveries]
    session.execute(dialect.insert(ProcessedEvent).on_conflict_do_nothing(), rows)


def purge_events(*, session: Session, before: datetime) -> int:
    """Forget event ids received before `before`, in every workspace (housekeeping: Slack
    retries a delivery for minutes, not days). Returns how many were removed."""
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < before))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def recent_event_ids(*, session: Session, prefix: str, since: datetime) -> list[tuple[str, str]]:
    """(team id, event id) of the deliveries whose ids start with `prefix` received since
    `since`, in every workspace (read once at start-up to remember recent requests)."""
    rows = session.execute(
        select(ProcessedEvent.team_id, ProcessedEvent.event_id).where(
            ProcessedEvent.received_at >= since,
            ProcessedEvent.event_id.startswith(prefix, autoescape=True),  # type: ignore[attr-defined]
        )
    ).all()
    return [(str(team), str(event)) for team, event in rows]
