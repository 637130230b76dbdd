"""The real bot process killed with SIGKILL and started again: timers that came due while it was
down (or that it was running when it died) fire once at start-up, and never again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select, update

from bot.housekeeping import NO_TEAM, PURGE_PROCESSED_EVENTS
from bot.timers import DEFAULT_LEASE
from storage import timers as timer_rows
from storage.db import make_engine, session_scope
from storage.events import record_event
from storage.models import ProcessedEvent, Timer
from tests.conftest import bot_env
from tests.process import BotProcess
from tests.slack_double import SlackDouble


@pytest.fixture
def process(tmp_path: Path, slack: SlackDouble, any_db_url: str) -> Iterator[BotProcess]:
    bot = BotProcess(cwd=tmp_path, env=bot_env(slack, any_db_url, TIMER_SWEEP_SECONDS="1"))
    yield bot
    bot.kill()


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    yield engine
    engine.dispose()


def wait_until(
    condition: Callable[[], bool], what: str, bot: BotProcess, timeout: float = 20
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout}s; bot output:\n{bot.output}")
        time.sleep(0.05)


def add_purge(db: Engine, due_at: datetime) -> int:
    with session_scope(db) as session:
        row = timer_rows.add_timer(
            session=session,
            team_id=NO_TEAM,
            kind=PURGE_PROCESSED_EVENTS,
            ref_id=0,
            due_at=due_at,
            now=datetime.now(UTC),
        )
        return int(row.id or 0)


def get(db: Engine, timer_id: int) -> Timer:
    with session_scope(db) as session:
        row = timer_rows.get_timer(session=session, timer_id=timer_id)
        assert row is not None
        return row


def done(db: Engine, *ids: int) -> Callable[[], bool]:
    return lambda: all(get(db, i).status == "done" for i in ids)


def test_timers_due_while_killed_fire_once_after_restart(process: BotProcess, db: Engine) -> None:
    process.start().wait_ready()

    # Killed in the middle of work: requests in flight, Slack events being recorded.
    sending = threading.Event()
    under_way = threading.Event()

    def keep_sending() -> None:
        n = 0
        while not sending.is_set():
            n += 1
            if n > 20:
                under_way.set()  # twenty events in: the bot is in the middle of work
            try:
                process.client.event(
                    {
                        "type": "reaction_added",
                        "user": "U0BOB",
                        "reaction": "+1",
                        "item": {"type": "message", "channel": "C1", "ts": "1.000100"},
                    },
                    event_id=f"EvInFlight{n}",
                )
            except OSError:
                return

    sender = threading.Thread(target=keep_sending)
    sender.start()
    assert under_way.wait(20), f"events were not acknowledged:\n{process.output}"
    process.kill()
    sending.set()
    sender.join(timeout=10)

    # While the bot is down: a timer comes due, and one it had claimed was never finished.
    now = datetime.now(UTC)
    with session_scope(db) as session:
        for age, event_id in ((timedelta(days=10), "EvOld"), (timedelta(days=1), "EvRecent")):
            record_event(session=session, team_id="T0TEST", event_id=event_id, now=now - age)
    came_due = add_purge(db, now - timedelta(minutes=1))
    orphaned = add_purge(db, now - timedelta(minutes=30))
    with session_scope(db) as session:
        session.execute(
            update(Timer)
            .where(Timer.id == orphaned)
            .values(
                status="running",
                claimed_by="dead-host:1:abcdef",
                claimed_at=now - DEFAULT_LEASE - timedelta(minutes=1),
                attempts=1,
            )
        )

    process.start().wait_ready()
    wait_until(done(db, came_due, orphaned), "due timers did not fire", process)

    new_pid = str(process.process.pid if process.process else "")
    first, second = get(db, came_due), get(db, orphaned)
    assert first.attempts == 1
    assert second.attempts == 2, "the dead process's claim is taken over once"
    assert f":{new_pid}:" in (first.claimed_by or "") and f":{new_pid}:" in (
        second.claimed_by or ""
    )
    with session_scope(db) as session:
        kept = {e.event_id for e in session.exec(select(ProcessedEvent))}
    assert "EvOld" not in kept and "EvRecent" in kept

    # Killed again and restarted: nothing fires twice; the daily purge stays scheduled once.
    process.kill()
    marker = add_purge(db, datetime.now(UTC) - timedelta(seconds=1))
    process.start().wait_ready()
    wait_until(done(db, marker), "the start-up sweep did not run", process)
    assert get(db, came_due).done_at == first.done_at
    assert get(db, orphaned).done_at == second.done_at
    assert (get(db, came_due).attempts, get(db, orphaned).attempts) == (1, 2)
    with session_scope(db) as session:
        pending = session.exec(
            select(Timer).where(Timer.kind == PURGE_PROCESSED_EVENTS, Timer.status == "pending")
        ).all()
    assert len(pending) == 1
    assert pending[0].due_at > datetime.now(UTC) + timedelta(hours=23)
    assert "Traceback" not in process.output


def test_two_bot_processes_on_one_postgresql_database_fire_each_timer_once(
    tmp_path: Path, slack: SlackDouble, pg_url: str
) -> None:
    env = bot_env(slack, pg_url, TIMER_SWEEP_SECONDS="1")
    first = BotProcess(cwd=tmp_path, env=env)
    second = BotProcess(cwd=tmp_path, env=env)
    engine = make_engine(pg_url)
    try:
        first.start().wait_ready()  # creates the schema
        first.kill()
        now = datetime.now(UTC)
        ids = [add_purge(engine, now - timedelta(seconds=i)) for i in range(300)]

        first.start()
        second.start()
        first.wait_ready()
        second.wait_ready()
        wait_until(done(engine, *ids), "not every timer fired", first, timeout=60)

        with session_scope(engine) as session:
            rows = session.exec(select(Timer).where(Timer.id.in_(ids))).all()  # type: ignore[union-attr]
        assert {r.attempts for r in rows} == {1}, "a timer was claimed twice"
        pids = {str(p.process.pid) for p in (first, second) if p.process}
        workers = {(r.claimed_by or "").split(":")[1] for r in rows}
        assert workers <= pids
    finally:
        first.kill()
        second.kill()
        engine.dispose()
    assert "Traceback" not in first.output + second.output
