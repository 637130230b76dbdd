"""(5) Start-up catch-up: timers that came due while the bot was down, run by `TimerService.start()`
(the real APScheduler) on one or more instances sharing the database; time until all have
fired, and a check that each fired exactly once."""

from __future__ import annotations

import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert
from sqlalchemy.engine import make_url
from sqlmodel import select

from benchmarks.report import Table
from bot.clock import SystemClock
from bot.config import normalize_database_url
from bot.timers import TimerService
from storage.db import make_engine, migrate, session_scope
from storage.models import Timer

KIND = "benchmark"


def _fill(url: str, count: int) -> None:
    engine = make_engine(url)
    migrate(engine)
    now = datetime.now(UTC)
    rows = [
        {
            "team_id": f"T{i % 50:04d}",
            "kind": KIND,
            "ref_id": i,
            "due_at": now - timedelta(hours=2) + timedelta(milliseconds=i),
            "status": "pending",
            "attempts": 0,
            "created_at": now - timedelta(days=1),
        }
        for i in range(count)
    ]
    with session_scope(engine) as session:
        session.execute(insert(Timer), rows)
    engine.dispose()


def catch_up(url: str, count: int, instances: int) -> tuple[float, Counter[int], int]:
    """Start `instances` timer services on `url`; seconds until `count` timers have run."""
    runs: Counter[int] = Counter()
    lock = threading.Lock()

    def handler(timer: Timer) -> None:
        with lock:
            runs[int(timer.id or 0)] += 1

    engines = [make_engine(url) for _ in range(instances)]
    services = []
    for n, engine in enumerate(engines):
        service = TimerService(
            engine=engine, clock=SystemClock(), sweep_seconds=3600, worker_id=f"bench-{n}"
        )
        service.register(KIND, handler)
        services.append(service)
    started = time.perf_counter()
    for service in services:
        service.start()
    while True:
        with lock:
            fired = sum(runs.values())
        if fired >= count or time.perf_counter() - started > max(60.0, count / 10):
            break
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    for service in services:
        service.shutdown()
    with session_scope(engines[0]) as session:
        done = session.exec(
            select(func.count()).select_from(Timer).where(Timer.status == "done")
        ).one()
    for engine in engines:
        engine.dispose()
    return seconds, runs, int(done)


def bench_catchup(
    *, timers: int = 10_000, database: str | None = None, instances: int = 1
) -> Table:
    table = Table(
        f"(5) start-up catch-up: {timers} timers due while down",
        ["database", "instances", "seconds", "timers/s", "fired once", "fired twice+", "done rows"],
    )
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite file", f"sqlite:///{Path(tmp) / 'catchup.db'}")]
        if database:
            url = normalize_database_url(database)
            targets.append((f"{make_url(url).get_backend_name()} (--database)", url))
        for label, url in targets:
            for n in sorted({1, instances}):
                if label.endswith("(--database)"):
                    _reset(url)
                else:
                    url = f"sqlite:///{Path(tmp) / f'catchup-{n}.db'}"
                _fill(url, timers)
                seconds, runs, done = catch_up(url, timers, n)
                table.add(
                    label,
                    n,
                    f"{seconds:.1f}",
                    f"{timers / seconds:.0f}",
                    sum(1 for v in runs.values() if v == 1),
                    sum(1 for v in runs.values() if v > 1),
                    done,
                )
    table.note("fired once must equal the timer count, fired twice+ must be 0")
    return table


def _reset(url: str) -> None:
    """Empty the timer table of a given database (it must be a scratch database)."""
    engine = make_engine(url)
    migrate(engine)
    with session_scope(engine) as session:
        session.execute(Timer.__table__.delete())  # type: ignore[attr-defined]
    engine.dispose()
