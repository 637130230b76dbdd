"""Durable timers: the database holds every due time, APScheduler runs them in-process.

Each due timer is claimed in the database before it runs (see `storage.timers.claim_timer`), so
it runs once even with several bot processes on one database, and on start-up whatever came due
while the bot was down runs at once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from storage import timers as timer_rows
from storage.db import session_scope
from storage.models import Timer

log = logging.getLogger(__name__)

TimerHandler = Callable[[Timer], None]

# A handler that failed is retried with these delays, then the timer is marked failed.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
)
# Runs a timer gets in all: the first, then one per retry delay.
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A claim older than this is taken to belong to a process that died mid-run.
DEFAULT_LEASE = timedelta(minutes=5)
# Future timers closer than this are given their own APScheduler job; later ones wait for a sweep.
SCHEDULE_HORIZON = timedelta(hours=6)
BATCH = 200


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TimerService:
    """Creates timers, runs due ones exactly once, and drives APScheduler."""

    def __init__(
        self,
        *,
        engine: Engine,
        clock: Clock,
        sweep_seconds: float = 15.0,
        worker_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.sweep_seconds = sweep_seconds
        self.worker_id = worker_id or default_worker_id()
        self.lease = lease
        self._handlers: dict[str, TimerHandler] = {}
        self._scheduler: BackgroundScheduler | None = None
        self._sweep_lock = threading.Lock()
        self._stopping = threading.Event()
        # APScheduler's shutdown holds its job store lock while it waits for running jobs, and
        # adding a job takes that lock: a sweep adding one just then would wait for ever.
        # Adding jobs and stopping take turns on this lock; once stopping, nothing is added.
        self._adding_jobs = threading.Lock()

    # --- registration and creation ------------------------------------------------------------

    def register(self, kind: str, handler: TimerHandler) -> None:
        """Name the function that runs when a timer of `kind` comes due."""
        self._handlers[kind] = handler

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def add(
        self, *, session: Session, team_id: str, kind: str, ref_id: int, due_at: datetime
    ) -> Timer:
        """Store a due time in `session`'s transaction; it is scheduled once that commits."""
        if kind not in self._handlers:
            log.warning(
                "timer kind %r has no handler yet; it will be retried until one exists", kind
            )
        timer = timer_rows.add_timer(
            session=session,
            team_id=team_id,
            kind=kind,
            ref_id=ref_id,
            due_at=due_at,
            now=self.clock.now(),
        )
        timer_id, due = int(timer.id or 0), timer.due_at

        @event.listens_for(session, "after_commit", once=True)
        def _schedule(_session: Session) -> None:
            self._schedule_job(timer_id, due)

        return timer

    def cancel(self, *, session: Session, team_id: str, kind: str, ref_id: int) -> int:
        return timer_rows.cancel_timers(session=session, team_id=team_id, kind=kind, ref_id=ref_id)

    def next_due_at(self, kinds: tuple[str, ...]) -> datetime | None:
        """When the next pending timer of one of `kinds` comes due, if any."""
        with session_scope(self.engine) as session:
            return timer_rows.next_due_at(session=session, now=self.clock.now(), kinds=kinds)

    # --- running ------------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None) -> int:
        """Claim and run every timer due by `now`; returns how many ran here."""
        ran = 0
        # A timer that failed here waits for its back-off, even when `now` lies beyond it.
        tried: set[int] = set()
        with self._sweep_lock:
            while True:
                at = now or self.clock.now()
                with session_scope(self.engine) as session:
                    ids = timer_rows.due_timer_ids(
                        session=session, now=at, lease=self.lease, limit=BATCH
                    )
                fresh = [i for i in ids if i not in tried]
                if not fresh:
                    return ran
                tried.update(fresh)
                progressed = 0
                for timer_id in fresh:
                    if self._stopping.is_set():
                        # Shutting down: stop between timers, leaving none claimed half-run.
                        return ran + progressed
                    if self.fire(timer_id, now=at):
                        progressed += 1
                ran += progressed
                if progressed == 0:
                    return ran

    def fire(self, timer_id: int, now: datetime | None = None) -> bool:
        """Run one timer if it is due and nobody else has claimed it. True when it ran here."""
        at = now or self.clock.now()
        with session_scope(self.engine) as session:
            timer = timer_rows.claim_timer(
                session=session, timer_id=timer_id, worker=self.worker_id, now=at, lease=self.lease
            )
        if timer is None:
            return False
        if timer.attempts > MAX_ATTEMPTS:
            # Every earlier claim ended with its process dying: running it again could take
            # this process down too, at every restart.
            log.error(
                "timer %s (%s for %s, team %s) given up: claimed %s times, never finished",
                timer.id,
                timer.kind,
                timer.ref_id,
                timer.team_id,
                timer.attempts - 1,
            )
            with session_scope(self.engine) as session:
                timer_rows.finish_timer(
                    session=session,
                    timer_id=timer_id,
                    worker=self.worker_id,
                    now=self.clock.now(),
                    error=f"given up: claimed {timer.attempts - 1} times, never finished",
                    failed=True,
                )
            return True
        handler = self._handlers.get(timer.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for timer kind {timer.kind!r}")
            handler(timer)
        except Exception as exc:  # noqa: BLE001 - a failing timer must not stop the others
            self._record_failure(timer, exc)
            return True
        with session_scope(self.engine) as session:
            timer_rows.finish_timer(
                session=session, timer_id=timer_id, worker=self.worker_id, now=self.clock.now()
            )
        return True

    def _record_failure(self, timer: Timer, exc: Exception) -> None:
        attempt = timer.attempts
        log.exception(
            "timer %s (%s for %s, team %s) failed on attempt %s",
            timer.id,
            timer.kind,
            timer.ref_id,
            timer.team_id,
            attempt,
        )
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = self.clock.now()
        retry_at = now + RETRY_DELAYS[attempt - 1] if attempt <= len(RETRY_DELAYS) else None
        with session_scope(self.engine) as session:
            timer_rows.finish_timer(
                session=session,
                timer_id=int(timer.id or 0),
                worker=self.worker_id,
                now=now,
                error=error,
                retry_at=retry_at,
                failed=retry_at is None,
            )
        if retry_at is not None:
            self._schedule_job(int(timer.id or 0), retry_at)

    # --- the scheduler ------------------------------------------------------------------------

    def start(self) -> None:
        """Start APScheduler: catch up on what came due while down, then keep sweeping."""
        self._stopping.clear()
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                # The database, not APScheduler, decides whether work is still due: a job that
                # starts late (a busy pool, a suspended laptop) must still run, never be skipped.
                "misfire_grace_time": None,
            },
        )
        self._scheduler = scheduler
        scheduler.add_job(
            self.sweep,
            "interval",
            seconds=self.sweep_seconds,
            id="sweep",
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()

    def sweep(self) -> None:
        """Run everything due, then give near timers their own jobs for on-time firing."""
        try:
            self.run_due()
            now = self.clock.now()
            with session_scope(self.engine) as session:
                upcoming = timer_rows.upcoming_timers(
                    session=session, now=now, until=now + SCHEDULE_HORIZON
                )
            for timer_id, due in upcoming:
                self._schedule_job(timer_id, due)
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("timer sweep failed")

    def _schedule_job(self, timer_id: int, due_at: datetime) -> None:
        with self._adding_jobs:
            scheduler = self._scheduler
            if scheduler is None or not scheduler.running or self._stopping.is_set():
                return
            scheduler.add_job(
                self.fire,
                "date",
                run_date=due_at,
                args=[timer_id],
                id=f"timer-{timer_id}",
                replace_existing=True,
            )

    def shutdown(self) -> None:
        """Stop the scheduler; a sweep in progress stops after the timer it is running."""
        with self._adding_jobs:
            self._stopping.set()
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._scheduler = None
