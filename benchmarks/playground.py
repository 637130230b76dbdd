"""The playground's page and its Decision log tab at 1,000 and at 100,000 decisions.

Each size gets its own SQLite file (3 votes per decision, `benchmarks.decision_data`), moved to
the playground's workspace; the playground is served on loopback with its clock a day after
the last decision (the metrics cover the log's last 30 days), and each view is fetched over
HTTP as the page fetches it: the #general pane (`/api/state`, which also asks for the next
timer), the log tab (`/api/log`: metrics, the count, one page, as HTML), the tab filtered by
status, and its page 20. The figure is the median of several runs after one warm-up.

    python -m benchmarks playground
"""

from __future__ import annotations

import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import text

from benchmarks.decision_data import TEAM, build, end_of
from benchmarks.report import Table, machine
from handlers.playground.platform import TEAM as PLAYGROUND_TEAM
from handlers.playground.run import build as build_playground
from handlers.playground.run import serving

SIZES = (1_000, 100_000)
RUNS = 9
VIEWS = {
    "page (#general pane)": "/api/state?as=UANA&pane=CGENERAL",
    "Decision log tab": "/api/log?as=UANA",
    "log tab, status active": "/api/log?as=UANA&s=active",
    "log tab, page 20": "/api/log?as=UANA&p=20",
}


def _fetch(url: str) -> int:
    with urllib.request.urlopen(url, timeout=60) as answer:
        return len(answer.read())


def _measure(size: int, folder: Path, runs: int) -> tuple[dict[str, float], float]:
    """Median milliseconds per view, and the seconds the data took to load."""
    started = time.perf_counter()
    db = folder / f"playground-{size}.db"
    engine = build(f"sqlite:///{db}", size)
    with engine.begin() as conn:  # the benchmark's log, in the playground's workspace
        for table in ("decision", "vote"):
            conn.execute(text(f"UPDATE {table} SET team_id = :to"), {"to": PLAYGROUND_TEAM})
    engine.dispose()
    loaded = time.perf_counter() - started
    results: dict[str, float] = {}
    with serving(build_playground(db, now=end_of(size))) as url:
        for name, path in VIEWS.items():
            _fetch(url + path)  # warm-up
            times = []
            for _ in range(runs):
                at = time.perf_counter()
                _fetch(url + path)
                times.append((time.perf_counter() - at) * 1000)
            results[name] = statistics.median(times)
    return results, loaded


def bench_playground(sizes: tuple[int, int] = SIZES, runs: int = RUNS) -> Table:
    with tempfile.TemporaryDirectory(prefix="bench-playground-") as folder:
        measured = {size: _measure(size, Path(folder), runs) for size in sizes}
    small, large = sizes
    table = Table(
        "Playground page and Decision log tab over HTTP (median ms)",
        ["view", f"{small:,} decisions", f"{large:,} decisions", "ratio"],
    )
    for name in VIEWS:
        a, b = measured[small][0][name], measured[large][0][name]
        table.add(name, f"{a:.1f}", f"{b:.1f}", f"{b / a:.2f}x")
    table.note(
        f"{runs} runs after a warm-up, over loopback HTTP; 3 votes per decision (workspace "
        f"{TEAM} moved to the playground's); loading took {measured[small][1]:.1f} s and "
        f"{measured[large][1]:.1f} s. {machine()}."
    )
    return table


if __name__ == "__main__":
    print(bench_playground().render())
