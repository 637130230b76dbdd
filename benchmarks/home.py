"""Decision-log browsing: building and publishing the Home tab at 1,000 and at 100,000 decisions.

Each size gets its own SQLite file (3 votes per decision). The whole Home tab path runs as when a
user opens it (`handlers.slack.home.decision_log.publish_home`: private-channel check, one page of the
log, the total, the 30-day metrics, the Block Kit view, `views.publish` to the Slack test double
on loopback), for the plain tab, a channel filter, a deep page and the reviews-due filter. The
figure is the median of several runs after one warm-up; the target is the large log within 2x of
the small one.

    python -m benchmarks.home
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from slack_sdk import WebClient

from benchmarks.decision_data import CHANNELS, TEAM, build, end_of
from benchmarks.report import Table, machine
from bot.core import Core
from bot.timers import TimerService
from handlers.slack.blocks.decision_log import HomeFilters
from handlers.slack.directory import clear_cache
from handlers.slack.home.decision_log import publish_home
from tests.slack_double import SlackDouble

SIZES = (1_000, 100_000)
RUNS = 7
SCENARIOS = {
    "Home tab opened": HomeFilters(),
    "filtered by channel": HomeFilters(channel_id=CHANNELS[3]),
    "page 20": HomeFilters(page=20),
    "reviews due": HomeFilters(due=True),
}


class FixedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


def _measure(size: int, folder: Path, slack: SlackDouble) -> tuple[dict[str, float], float]:
    """Median milliseconds per scenario, and the seconds the data took to load."""
    started = time.perf_counter()
    engine = build(f"sqlite:///{folder / f'home-{size}.db'}", size)
    loaded = time.perf_counter() - started
    # "Now" is a day after the last decision: the metrics cover the log's last 30 days.
    clock = FixedClock(end_of(size))
    core = Core(engine=engine, clock=clock, timers=TimerService(engine=engine, clock=clock))
    client = WebClient(token="xoxb-bench", base_url=slack.api_url)
    clear_cache()
    results: dict[str, float] = {}
    try:
        for name, filters in SCENARIOS.items():
            publish_home(client, core, TEAM, "U0READER", filters)  # warm-up (caches, pages)
            times = []
            for _ in range(RUNS):
                at = time.perf_counter()
                publish_home(client, core, TEAM, "U0READER", filters)
                times.append((time.perf_counter() - at) * 1000)
            results[name] = statistics.median(times)
    finally:
        engine.dispose()
    return results, loaded


def bench_home() -> Table:
    slack = SlackDouble().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-home-") as folder:
            measured = {size: _measure(size, Path(folder), slack) for size in SIZES}
        published = len(slack.calls("views.publish"))
    finally:
        slack.stop()
    small, large = SIZES
    table = Table(
        "Decision log on the Home tab: build and publish time (median ms)",
        ["view", f"{small:,} decisions", f"{large:,} decisions", "ratio"],
    )
    for name in SCENARIOS:
        a, b = measured[small][0][name], measured[large][0][name]
        table.add(name, f"{a:.1f}", f"{b:.1f}", f"{b / a:.2f}x")
    table.note(
        f"{RUNS} runs after a warm-up, {published} views published; 3 votes per decision; "
        f"loading took {measured[small][1]:.1f} s and {measured[large][1]:.1f} s. {machine()}."
    )
    return table


if __name__ == "__main__":
    print(bench_home().render())
