"""SQLite writers of one process take turns on a lock instead of SQLite's busy handler, whose
growing sleeps made a burst of votes convoy past Slack's 3 seconds (issue 15)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlmodel import func, select

from storage.db import make_engine, migrate, read_scope, session_scope
from storage.models import Timer

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _timer(ref_id: int) -> Timer:
    return Timer(team_id="T1", kind="k", ref_id=ref_id, due_at=NOW, created_at=NOW)


def test_a_second_writer_begins_only_after_the_first_commits(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    seen: list[tuple[str, str]] = []
    second_began = threading.Event()

    def before_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Just before the driver runs it: with SQLite's busy handler the second writer would
        # get here, then sleep inside its BEGIN IMMEDIATE until the first commits.
        if statement.startswith("BEGIN IMMEDIATE"):
            name = threading.current_thread().name
            seen.append(("begin", name))
            if name == "second":
                second_began.set()

    def committed(_conn: Any) -> None:
        seen.append(("commit", threading.current_thread().name))

    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "commit", committed)
    first_in, release = threading.Event(), threading.Event()

    def first() -> None:
        with session_scope(engine) as session:
            session.add(_timer(1))
            session.flush()
            first_in.set()
            release.wait(10)

    def second() -> None:
        with session_scope(engine) as session:
            session.add(_timer(2))

    one = threading.Thread(target=first, name="first")
    one.start()
    assert first_in.wait(10)
    two = threading.Thread(target=second, name="second")
    two.start()
    # A bounded wait for what must not happen: the second writer beginning while the first
    # holds its transaction open.
    began_early = second_began.wait(1.0)
    # Readers take no turn: this read ends while the first writer is still open.
    with read_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Timer)).one() == 0
    release.set()
    one.join(10)
    two.join(10)
    assert not began_early, "the second writer began inside the first one's transaction"
    writes = [entry for entry in seen if entry[1] in ("first", "second")]
    assert writes == [
        ("begin", "first"),
        ("commit", "first"),
        ("begin", "second"),
        ("commit", "second"),
    ]
    with read_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Timer)).one() == 2
    engine.dispose()


def test_a_writer_may_open_another_scope_in_its_own_turn(sqlite_url: str) -> None:
    """The lock is re-entrant: a write inside a write of the same thread does not wait on
    itself (SQLite then decides, as before)."""
    engine = make_engine(sqlite_url)
    migrate(engine)
    done = threading.Event()

    def nested() -> None:
        with session_scope(engine) as outer:
            outer.add(_timer(1))
        with session_scope(engine):
            with session_scope(engine) as inner:
                inner.add(_timer(2))
        done.set()

    threading.Thread(target=nested, daemon=True).start()
    assert done.wait(10), "a nested write waited on its own thread's turn"
    with read_scope(engine) as session:
        assert session.exec(select(func.count()).select_from(Timer)).one() == 2
    engine.dispose()
