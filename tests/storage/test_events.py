"""Delivery ids remembered in one statement (the replay guard's write-behind), on both
databases: new pairs are added, pairs already there keep their first time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.db import make_engine, migrate, read_scope, session_scope
from storage.events import record_event, record_events
from storage.models import ProcessedEvent

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def any_engine(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_many_deliveries_are_remembered_at_once_and_known_ones_stay(any_engine: Engine) -> None:
    with session_scope(any_engine) as session:
        assert record_event(session=session, team_id="T1", event_id="request:a", now=NOW)
    later = NOW + timedelta(minutes=1)
    with session_scope(any_engine) as session:
        record_events(
            session=session,
            deliveries=[("T1", "request:a"), ("T1", "request:b"), ("T2", "request:a")],
            now=later,
        )
        record_events(session=session, deliveries=[], now=later)
    with read_scope(any_engine) as session:
        rows = sorted(
            (e.team_id, e.event_id, e.received_at) for e in session.exec(select(ProcessedEvent))
        )
    assert rows == [
        ("T1", "request:a", NOW),
        ("T1", "request:b", later),
        ("T2", "request:a", later),
    ]
    with session_scope(any_engine) as session:
        assert not record_event(session=session, team_id="T1", event_id="request:b", now=later)
