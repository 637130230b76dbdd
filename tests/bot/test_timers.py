"""Durable timers against real databases: each due timer runs exactly once, whatever happens."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.clock import SystemClock
from bot.timers import RETRY_DELAYS, TimerService
from storage import timers as timer_rows
from storage.db import make_engine, migrate, session_scope
from storage.events import record_event
from storage.models import Timer

TEAM = "T0TEST"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Recorder:
    """A thread-safe handler that counts runs per timer id."""

    def __init__(self, fail: Callable[[Timer], bool] = lambda _t: False) -> None:
        self.runs: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._fail = fail

    def __call__(self, timer: Timer) -> None:
        with self._lock:
            self.runs[int(timer.id or 0)] += 1
        if self._fail(timer):
            raise RuntimeError(f"handler failed for {timer.id}")

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.runs.values())


def add_timers(service: TimerService, due: list[datetime], kind: str = "test") -> list[int]:
    with session_scope(service.engine) as session:
        rows = [
            service.add(session=session, team_id=TEAM, kind=kind, ref_id=i, due_at=at)
            for i, at in enumerate(due)
        ]
        return [int(r.id or 0) for r in rows]


def timer(engine: Engine, timer_id: int) -> Timer:
    with session_scope(engine) as session:
        found = timer_rows.get_timer(session=session, timer_id=timer_id)
        assert found is not None
        return found


def all_timers(engine: Engine) -> list[Timer]:
    with session_scope(engine) as session:
        return list(session.exec(select(Timer).order_by(Timer.id)))


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def make_service(engine: Engine, worker: str, handler: Recorder, **kwargs: object) -> TimerService:
    service = TimerService(engine=engine, clock=SystemClock(), worker_id=worker, **kwargs)  # type: ignore[arg-type]
    service.register("test", handler)
    return service


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.02)


# --- exactly once -------------------------------------------------------------------------------


def test_a_due_timer_fires_exactly_once(db: Engine) -> None:
    handler = Recorder()
    service = make_service(db, "w1", handler)
    now = datetime.now(UTC)
    [due_id, later_id] = add_timers(service, [now - timedelta(minutes=1), now + timedelta(hours=1)])

    assert service.run_due() == 1
    assert service.run_due() == 0
    assert handler.runs == Counter({due_id: 1})
    done = timer(db, due_id)
    assert (done.status, done.attempts, done.claimed_by) == ("done", 1, "w1")
    assert done.done_at is not None
    assert timer(db, later_id).status == "pending"


def test_a_cancelled_timer_never_fires(db: Engine) -> None:
    handler = Recorder()
    service = make_service(db, "w1", handler)
    [timer_id] = add_timers(service, [datetime.now(UTC) - timedelta(minutes=1)])
    with session_scope(db) as session:
        assert service.cancel(session=session, team_id=TEAM, kind="test", ref_id=0) == 1

    assert service.run_due() == 0
    assert handler.total == 0
    assert timer(db, timer_id).status == "cancelled"


def test_two_instances_on_one_database_run_every_timer_once(db: Engine, any_db_url: str) -> None:
    """Two bot processes (two engines, two worker ids) sweep the same 500 due timers at once,
    while request threads keep writing: every timer runs once, and nobody sees a locked database."""
    handler = Recorder()
    second_engine = make_engine(any_db_url)
    first = make_service(db, "worker-a", handler)
    second = make_service(second_engine, "worker-b", handler)
    now = datetime.now(UTC)
    ids = add_timers(first, [now - timedelta(seconds=i) for i in range(500)])

    start = threading.Barrier(4)
    errors: list[BaseException] = []
    ran: dict[str, int] = {}

    def sweep(service: TimerService) -> None:
        try:
            start.wait()
            ran[service.worker_id] = service.run_due()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def request_writes(engine: Engine, prefix: str) -> None:
        try:
            start.wait()
            for n in range(100):
                with session_scope(engine) as session:
                    record_event(session=session, team_id=TEAM, event_id=f"{prefix}{n}", now=now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=sweep, args=(first,)),
        threading.Thread(target=sweep, args=(second,)),
        threading.Thread(target=request_writes, args=(db, "EvA")),
        threading.Thread(target=request_writes, args=(second_engine, "EvB")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    second_engine.dispose()

    assert errors == []
    assert set(handler.runs) == set(ids)
    assert set(handler.runs.values()) == {1}, "some timer ran more than once"
    assert ran["worker-a"] + ran["worker-b"] == 500
    rows = all_timers(db)
    assert {r.status for r in rows} == {"done"}
    assert {r.attempts for r in rows} == {1}
    assert {r.claimed_by for r in rows} <= {"worker-a", "worker-b"}


# --- failures -----------------------------------------------------------------------------------


def test_a_failing_handler_is_retried_with_back_off_then_marked_failed(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Recorder(fail=lambda _t: True)
    service = make_service(engine, "w1", handler)
    with freeze_time(T0) as clock:
        [timer_id] = add_timers(service, [T0])
        at = T0
        for attempt, delay in enumerate(RETRY_DELAYS, start=1):
            assert service.run_due() == 1
            row = timer(engine, timer_id)
            assert (row.status, row.attempts) == ("pending", attempt)
            assert row.due_at == at + delay
            assert row.last_error == f"RuntimeError: handler failed for {timer_id}"
            clock.move_to(at + delay - timedelta(seconds=1))
            assert service.run_due() == 0, "retried before its back-off elapsed"
            at = at + delay
            clock.move_to(at)
        assert service.run_due() == 1
        row = timer(engine, timer_id)
        assert (row.status, row.attempts) == ("failed", len(RETRY_DELAYS) + 1)
        clock.move_to(at + timedelta(days=1))
        assert service.run_due() == 0
    assert handler.runs[timer_id] == len(RETRY_DELAYS) + 1
    failures = [r for r in caplog.records if "failed on attempt" in r.getMessage()]
    assert len(failures) == len(RETRY_DELAYS) + 1
    assert f"timer {timer_id} (test for 0, team {TEAM})" in failures[0].getMessage()
    assert failures[0].exc_info is not None


def test_a_handler_that_fails_once_succeeds_on_retry(engine: Engine) -> None:
    handler = Recorder(fail=lambda t: t.attempts == 1)
    service = make_service(engine, "w1", handler)
    with freeze_time(T0) as clock:
        [timer_id] = add_timers(service, [T0])
        assert service.run_due() == 1
        clock.move_to(T0 + RETRY_DELAYS[0])
        assert service.run_due() == 1
    row = timer(engine, timer_id)
    assert (row.status, row.attempts) == ("done", 2)
    assert handler.runs[timer_id] == 2


def test_a_failing_timer_is_not_retried_within_the_same_sweep(engine: Engine) -> None:
    """A sweep that looks far ahead (run_due(now=...)) must not burn every retry at once."""
    handler = Recorder(fail=lambda _t: True)
    service = make_service(engine, "w1", handler)
    with freeze_time(T0):
        [timer_id] = add_timers(service, [T0])
        assert service.run_due(now=T0 + timedelta(days=1)) == 1
    row = timer(engine, timer_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert handler.runs[timer_id] == 1


def test_a_kind_without_handler_is_kept_and_retried(engine: Engine) -> None:
    service = TimerService(engine=engine, clock=SystemClock(), worker_id="w1")
    with freeze_time(T0) as clock:
        [timer_id] = add_timers(service, [T0], kind="not-yet-registered")
        assert service.run_due() == 1
        row = timer(engine, timer_id)
        assert row.status == "pending"
        assert "no handler" in (row.last_error or "")
        handler = Recorder()
        service.register("not-yet-registered", handler)
        clock.move_to(T0 + RETRY_DELAYS[0])
        assert service.run_due() == 1
    assert timer(engine, timer_id).status == "done"
    assert handler.runs[timer_id] == 1


# --- crashes ------------------------------------------------------------------------------------


def test_a_claim_held_by_a_dead_process_is_reclaimed_after_the_lease(db: Engine) -> None:
    handler = Recorder()
    lease = timedelta(minutes=5)
    service = make_service(db, "alive", handler, lease=lease)
    with freeze_time(T0) as clock:
        [timer_id] = add_timers(service, [T0])
        # A process claimed the timer, then died (SIGKILL) before finishing it.
        with session_scope(db) as session:
            claimed = timer_rows.claim_timer(
                session=session, timer_id=timer_id, worker="dead", now=T0, lease=lease
            )
        assert claimed is not None and claimed.status == "running"

        clock.move_to(T0 + lease - timedelta(seconds=1))
        assert service.run_due() == 0, "a live claim must not be taken over"
        assert handler.total == 0

        clock.move_to(T0 + lease + timedelta(seconds=1))
        assert service.run_due() == 1
        row = timer(db, timer_id)
        assert (row.status, row.claimed_by, row.attempts) == ("done", "alive", 2)

        # The dead process's late report changes nothing.
        with session_scope(db) as session:
            assert not timer_rows.finish_timer(
                session=session, timer_id=timer_id, worker="dead", now=T0 + lease, failed=True
            )
    assert timer(db, timer_id).status == "done"
    assert handler.runs[timer_id] == 1


# --- the real scheduler -------------------------------------------------------------------------


@pytest.fixture
def started() -> Iterator[list[TimerService]]:
    services: list[TimerService] = []
    yield services
    for service in services:
        service.shutdown()


def test_start_catches_up_on_timers_that_came_due_while_down(
    db: Engine, started: list[TimerService]
) -> None:
    handler = Recorder()
    down = make_service(db, "before-restart", handler)
    now = datetime.now(UTC)
    ids = add_timers(down, [now - timedelta(days=2), now - timedelta(hours=1), now])

    # Sweeping only every hour: the catch-up must come from start() itself.
    service = make_service(db, "after-restart", handler, sweep_seconds=3600)
    started.append(service)
    service.start()
    wait_until(lambda: handler.total >= 3)
    service.shutdown()

    assert handler.runs == Counter({i: 1 for i in ids})
    assert {t.status for t in all_timers(db)} == {"done"}


def test_a_near_timer_added_while_running_fires_on_time_without_a_sweep(
    engine: Engine, started: list[TimerService]
) -> None:
    handler = Recorder()
    service = make_service(engine, "w1", handler, sweep_seconds=3600)
    started.append(service)
    service.start()
    wait_until(lambda: service._scheduler is not None and service._scheduler.running)
    [timer_id] = add_timers(service, [datetime.now(UTC) + timedelta(milliseconds=300)])

    wait_until(lambda: handler.total >= 1)
    assert handler.runs == Counter({timer_id: 1})
    wait_until(lambda: timer(engine, timer_id).status == "done")


def test_scheduler_never_skips_a_late_job_and_coalesces(
    engine: Engine, started: list[TimerService]
) -> None:
    service = make_service(engine, "w1", Recorder(), sweep_seconds=3600)
    started.append(service)
    service.start()
    scheduler = service._scheduler
    assert scheduler is not None
    add_timers(service, [datetime.now(UTC) + timedelta(hours=1)])
    jobs = scheduler.get_jobs()
    assert {job.id.split("-")[0] for job in jobs} == {"sweep", "timer"}
    for job in jobs:
        # None: a job that starts late (busy pool, suspended machine) still runs.
        assert job.misfire_grace_time is None, job.id
        assert job.coalesce is True, job.id
        assert job.max_instances == 1, job.id


def test_shutdown_during_a_long_catch_up_stops_promptly_and_leaves_no_claim_behind(
    db: Engine,
) -> None:
    """A deploy stops the bot in the middle of a large catch-up: the sweep stops between timers
    (nothing is left claimed for the lease to expire), and the next start runs the rest once."""
    runs: Counter[int] = Counter()
    stopping = threading.Event()

    def handler(timer: Timer) -> None:
        runs[int(timer.id or 0)] += 1
        if len(runs) == 10:
            threading.Thread(target=first.shutdown).start()
            assert first._stopping.wait(timeout=5)
            stopping.set()

    first = TimerService(engine=db, clock=SystemClock(), worker_id="first", sweep_seconds=3600)
    first.register("test", handler)
    now = datetime.now(UTC)
    ids = add_timers(first, [now - timedelta(seconds=i) for i in range(300)])
    first.start()
    assert stopping.wait(timeout=10)
    wait_until(lambda: first._scheduler is None)

    ran_before = len(runs)
    assert ran_before < 300, "the sweep ran on after shutdown"
    assert not [t for t in all_timers(db) if t.status == "running"]
    second = TimerService(engine=db, clock=SystemClock(), worker_id="second")
    second.register("test", handler)
    assert second.run_due() == 300 - ran_before
    assert set(runs) == set(ids) and set(runs.values()) == {1}


def test_a_timer_whose_runs_keep_killing_the_process_is_given_up(engine: Engine) -> None:
    """A timer whose handler crashes the whole process (claimed, never finished, again and
    again) must not crash every restart forever: after the last retry it is marked failed."""
    handler = Recorder()
    lease = timedelta(minutes=5)
    service = make_service(engine, "alive", handler, lease=lease)
    with freeze_time(T0) as clock:
        [timer_id] = add_timers(service, [T0])
        at = T0
        for _ in range(len(RETRY_DELAYS) + 1):
            with session_scope(engine) as session:
                assert timer_rows.claim_timer(
                    session=session, timer_id=timer_id, worker="dies", now=at, lease=lease
                )
            at += lease + timedelta(seconds=1)
        clock.move_to(at)
        assert service.run_due() == 1
    row = timer(engine, timer_id)
    assert row.status == "failed"
    assert "claimed" in (row.last_error or "")
    assert handler.total == 0
