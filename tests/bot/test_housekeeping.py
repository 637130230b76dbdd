"""The daily purge keeps the processed-event table from growing forever."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot import housekeeping
from bot.clock import SystemClock
from bot.housekeeping import PURGE_EVERY, PURGE_PROCESSED_EVENTS
from bot.timers import TimerService
from storage.db import session_scope
from storage.events import record_event
from storage.models import ProcessedEvent, Timer

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def service(engine: Engine, worker: str = "w1") -> TimerService:
    timers = TimerService(engine=engine, clock=SystemClock(), worker_id=worker)
    housekeeping.register(timers)
    return timers


def purge_timers(engine: Engine) -> list[Timer]:
    with session_scope(engine) as session:
        stmt = select(Timer).where(Timer.kind == PURGE_PROCESSED_EVENTS).order_by(Timer.id)
        return list(session.exec(stmt))


def event_ids(engine: Engine) -> set[str]:
    with session_scope(engine) as session:
        return {e.event_id for e in session.exec(select(ProcessedEvent))}


def test_purge_forgets_old_event_ids_in_every_workspace_and_keeps_recent_ones(
    engine: Engine,
) -> None:
    with session_scope(engine) as session:
        for team in ("T1", "T2"):
            record_event(
                session=session, team_id=team, event_id=f"old-{team}", now=T0 - timedelta(days=8)
            )
            record_event(
                session=session, team_id=team, event_id=f"new-{team}", now=T0 - timedelta(days=6)
            )
    timers = service(engine)
    with freeze_time(T0):
        housekeeping.schedule(timers)
        assert timers.run_due() == 1
    assert event_ids(engine) == {"new-T1", "new-T2"}
    [done, following] = purge_timers(engine)
    assert done.status == "done"
    assert (following.status, following.due_at) == ("pending", T0 + PURGE_EVERY)


def test_purge_reschedules_itself_daily_as_a_single_chain(engine: Engine) -> None:
    # Two instances started at once on an empty database: each scheduled a purge.
    first, second = service(engine, "a"), service(engine, "b")
    with freeze_time(T0) as clock:
        with session_scope(engine) as session:
            for timers in (first, second):
                timers.add(
                    session=session, team_id="", kind=PURGE_PROCESSED_EVENTS, ref_id=0, due_at=T0
                )
        # Both run (a purge is harmless twice); only the second schedules the next one.
        assert first.run_due() == 2
        assert second.run_due() == 0
        for day in range(1, 4):
            clock.move_to(T0 + day * PURGE_EVERY)
            assert first.run_due() + second.run_due() == 1
    pending = [t for t in purge_timers(engine) if t.status == "pending"]
    assert [t.due_at for t in pending] == [T0 + 4 * PURGE_EVERY]


def test_schedule_is_idempotent(engine: Engine) -> None:
    timers = service(engine)
    with freeze_time(T0):
        housekeeping.schedule(timers)
        housekeeping.schedule(timers)
    assert len(purge_timers(engine)) == 1


def test_purge_forgets_long_finished_timers_and_keeps_the_rest(engine: Engine) -> None:
    timers = service(engine)
    old, recent, later = T0 - timedelta(days=31), T0 - timedelta(days=29), T0 + timedelta(days=1)
    with session_scope(engine) as session:
        for status in ("done", "cancelled", "failed"):
            for due in (old, recent):
                timer = timers.add(
                    session=session, team_id="T1", kind=f"k-{status}", ref_id=1, due_at=due
                )
                timer.status = status
        timers.add(session=session, team_id="T1", kind="k-pending", ref_id=1, due_at=later)
    with freeze_time(T0):
        housekeeping.schedule(timers)
        assert timers.run_due() == 1  # the purge itself
    with session_scope(engine) as session:
        left = sorted((t.kind, t.due_at) for t in session.exec(select(Timer)) if t.team_id)
    assert left == sorted(
        [
            ("k-done", recent),
            ("k-cancelled", recent),
            ("k-failed", old),
            ("k-failed", recent),
            ("k-pending", later),
        ]
    )
