"""Workspaces and their platforms: recorded once, the first platform stays, on both databases,
also when two processes record the same workspace at the same moment."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from storage.db import make_engine, migrate, read_scope, session_scope
from storage.models import Workspace
from storage.workspaces import platform_of, record_workspace

NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def any_engine(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_the_first_platform_recorded_stays(any_engine: Engine) -> None:
    with session_scope(any_engine) as session:
        assert record_workspace(session=session, team_id="T1", platform="slack", now=NOW) == "slack"
    with session_scope(any_engine) as session:
        assert record_workspace(session=session, team_id="T1", platform="msteams", now=NOW) == (
            "slack"
        )
    with read_scope(any_engine) as session:
        assert platform_of(session=session, team_id="T1") == "slack"
        assert platform_of(session=session, team_id="T2") is None


def test_two_processes_recording_one_workspace_agree(pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    answers: list[str] = []
    with session_scope(engine) as first:
        first.add(Workspace(team_id="T1", platform="msteams", first_seen_at=NOW))
        first.flush()

        def second() -> None:
            with session_scope(engine) as session:
                answers.append(
                    record_workspace(session=session, team_id="T1", platform="slack", now=NOW)
                )

        other = threading.Thread(target=second)
        other.start()
        # Wait (bounded) until the second insert waits for the first transaction's row.
        deadline = time.monotonic() + 10
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND datname = current_database()"
                    )
                ).scalar_one()
                # pg_stat_activity is read once per transaction: end it to look again.
                conn.rollback()
                if waiting:
                    break
                time.sleep(0.01)
        assert waiting, "the second process never reached the insert"
    other.join(10)
    assert answers == ["msteams"], "the second process reads what the first one stored"
    engine.dispose()
