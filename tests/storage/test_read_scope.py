"""Readers do not hold up writers: on SQLite every `session_scope` takes the write lock, so a
long read (an export of the whole log) must use `read_scope`, or votes wait behind it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from bot.export import write_workbook
from storage.db import make_engine, migrate, read_scope, session_scope
from storage.decision_log import LogQuery
from storage.models import Vote
from tests.log_helpers import START, TEAM, add_decision, add_vote


def _vote_count(engine: Engine) -> int:
    with read_scope(engine) as session:
        return int(session.exec(select(func.count()).select_from(Vote)).one())


def _write_in_another_thread(engine: Engine, decision_id: int) -> bool:
    """Store a vote from another thread; True when it committed within 5 seconds."""
    done = threading.Event()

    def write() -> None:
        with session_scope(engine) as session:
            session.add(
                Vote(
                    team_id=TEAM,
                    decision_id=decision_id,
                    user_id="U0LATE",
                    choice="agree",
                    cast_at=START,
                )
            )
        done.set()

    threading.Thread(target=write, daemon=True).start()
    return done.wait(5)


@pytest.fixture
def any_engine(any_db_url: str) -> Iterator[Engine]:
    eng = make_engine(any_db_url)
    migrate(eng)
    yield eng
    eng.dispose()


def test_a_reader_sees_one_snapshot_and_never_blocks_a_writer(any_engine: Engine) -> None:
    engine = any_engine
    decision = add_decision(engine)
    add_vote(engine, decision, "U0ANA", "agree")
    with read_scope(engine) as session:
        before = int(session.exec(select(func.count()).select_from(Vote)).one())
        assert _write_in_another_thread(engine, int(decision.id or 0)), "writer was blocked"
        again = int(session.exec(select(func.count()).select_from(Vote)).one())
    assert (before, again) == (1, 1), "the reader kept its snapshot"
    assert _vote_count(engine) == 2


def test_nothing_written_in_a_read_scope_is_kept(engine: Engine) -> None:
    decision = add_decision(engine)
    with read_scope(engine) as session:
        session.add(
            Vote(
                team_id=TEAM,
                decision_id=int(decision.id or 0),
                user_id="U0X",
                choice="agree",
                cast_at=START,
            )
        )
        session.flush()
    assert _vote_count(engine) == 0


class _SlowNames(dict[str, str]):
    """Name lookups made while the export is reading: a vote arrives meanwhile."""

    def __init__(self, engine: Engine, decision_id: int) -> None:
        super().__init__()
        self.engine, self.decision_id = engine, decision_id
        self.writer_finished: bool | None = None

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if self.writer_finished is None:
            self.writer_finished = _write_in_another_thread(self.engine, self.decision_id)
        return default


@pytest.fixture
def logged(engine: Engine) -> Iterator[int]:
    decision = add_decision(engine)
    add_vote(engine, decision, "U0ANA", "disagree", "too soon")
    yield int(decision.id or 0)


def test_votes_are_stored_while_an_export_reads_the_log(
    engine: Engine, logged: int, tmp_path: Path
) -> None:
    names = _SlowNames(engine, logged)
    summary = write_workbook(
        engine=engine, team_id=TEAM, query=LogQuery(), out=tmp_path / "log.xlsx", names=names
    )
    assert names.writer_finished is True, "the vote waited for the export"
    assert summary.rows["Votes"] == 1, "the export shows the log as it was when it started"
    assert _vote_count(engine) == 2
