"""(1) Acknowledgement latency: signed slash commands at N concurrent clients against the real
HTTP server (`narrative-bot run --http` in a child process, against the Slack test double),
next to a bare Bolt app on the same HTTP stack that only acknowledges (the floor)."""

from __future__ import annotations

import math
import multiprocessing
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.report import Table, machine, percentile
from benchmarks.workspace_data import TEAM, build
from tests.process import BotProcess
from tests.signed import SignedClient
from tests.slack_double import SlackDouble

SIGNING_SECRET = "benchmark-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-benchmark"


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors


def load(client: SignedClient, command: str, text: str, total: int, concurrency: int) -> Run:
    """Send `total` signed commands from `concurrency` threads; time each answer."""
    run = Run()
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            started = time.perf_counter()
            try:
                ok = client.command(command, text).status == 200
            except OSError:
                ok = False
            elapsed = time.perf_counter() - started
            with lock:
                if ok:
                    run.latencies.append(elapsed)
                else:
                    run.errors += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.seconds = time.perf_counter() - started
    return run


def _load_from(url: str, command: str, text: str, total: int, concurrency: int) -> Run:
    """`load` against `url`, in the clients' own process (see `bench_ack`)."""
    client = SignedClient(url, SIGNING_SECRET, team_id=TEAM)
    return load(client, command, text, total, concurrency)


def _peak_mb(server: BotProcess) -> float:
    """The server process's own peak resident memory (`VmHWM`, which exec resets)."""
    assert server.process is not None
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return math.nan


def bench_ack(
    *,
    requests: int = 2000,
    concurrency: int = 20,
    command: str = "/decide",
    text: str = "We launch the new pricing in March",
    rounds: int = 4,
    large: int = 100_000,
) -> Table:
    """Narrative on an empty database and on one of `large` realistic decisions, each next to
    the floor. Rounds alternate; after each Narrative round its polls are all posted (its
    backlog drained) before the next round starts, so the floor never runs beside Narrative's
    posting, and the time from a round's first request to its last poll posted gives the
    end-to-end throughput."""
    # A proposal posts one poll per request (after the ack); `help` only answers privately.
    polls = command == "/decide" and text.strip().lower() not in ("", "help")
    with tempfile.TemporaryDirectory() as tmp, SlackDouble(team_id=TEAM) as slack:
        work = Path(tmp)
        started = time.perf_counter()
        if large:
            engine, _counts = build(f"sqlite:///{work / 'large.db'}", large)
            engine.dispose()
        built = time.perf_counter() - started

        def env(db: str) -> dict[str, str]:
            return {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": f"sqlite:///{work / db}",
                "LOG_LEVEL": "WARNING",
                # Room for the whole burst: this measures the acknowledgement path. At the
                # default bound (1,000) a burst that posts slower than it is acknowledged fills
                # the queue, and acknowledgements then come at the rate polls are posted
                # (backpressure, see handlers.slack.work; tests/handlers/slack/test_work.py).
                "WORK_QUEUE_LIMIT": str(requests + 200),
            }

        floor = "bare Bolt app (floor)"
        servers = {
            floor: BotProcess(
                cwd=work,
                env=env("empty.db"),
                argv=("-m", "benchmarks.bare_app", "--port", "{port}", "--command", command),
            ),
            "Narrative, empty database": BotProcess(cwd=work, env=env("empty.db")),
        }
        if large:
            servers[f"Narrative, {large:,} decisions"] = BotProcess(cwd=work, env=env("large.db"))
        urls = {name: f"{s.base_url}/slack/events" for name, s in servers.items()}
        # The clients run in a process of their own: in this one the Slack double answers
        # Narrative's posts (never the floor's), and its threads would delay the clients' own
        # timing of Narrative's answers.
        clients = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

        def send(name: str, total: int) -> Run:
            return clients.submit(
                _load_from, urls[name], command, text, total, concurrency
            ).result()

        results = {name: Run() for name in servers}
        end_to_end = {name: 0.0 for name in servers if name != floor}
        posted = 0
        try:
            for name, server in servers.items():
                server.start().wait_ready()
                send(name, 100)  # warm-up
                if polls and name != floor:  # its polls posted before anything is counted
                    posted += 100
                    slack.wait_for("chat.postMessage", posted, timeout=300)
            for _ in range(rounds):
                for name in servers:
                    round_started = time.time()  # the double stamps calls with time.time()
                    part = send(name, requests // rounds)
                    results[name].latencies += part.latencies
                    results[name].errors += part.errors
                    results[name].seconds += part.seconds
                    if polls and name != floor:
                        # Drain: every poll of this round posted before the next round.
                        posted += len(part.latencies)
                        slack.wait_for("chat.postMessage", posted, timeout=600)
                        last = max(c.at for c in slack.calls("chat.postMessage"))
                        end_to_end[name] += last - round_started
            memory = {name: _peak_mb(server) for name, server in servers.items()}
        finally:
            clients.shutdown()
            for server in servers.values():
                server.stop()

    table = Table(
        f"(1) ack latency: {requests} signed `{command} {text}` per server at {concurrency}"
        f" clients, {rounds} alternating rounds, Narrative's polls drained after each round",
        [
            "server",
            "requests",
            "errors",
            "p50 ms",
            "p99 ms",
            "req/s",
            "p99 / floor",
            "polls/s end to end",
            "peak MB (VmHWM)",
        ],
    )
    floor_p99 = percentile(results[floor].latencies, 99)
    for name, run in results.items():
        p99 = percentile(run.latencies, 99)
        e2e = end_to_end.get(name)
        table.add(
            name,
            run.requests,
            run.errors,
            f"{percentile(run.latencies, 50) * 1000:.1f}",
            f"{p99 * 1000:.1f}",
            f"{run.requests / run.seconds:.0f}" if run.seconds else "-",
            f"{p99 / floor_p99:.2f}x",
            f"{len(run.latencies) / e2e:.0f}" if e2e else "-",
            f"{memory[name]:.0f}",
        )
    names = [n for n in servers if n != floor]
    worst = max(percentile(results[n].latencies, 99) / floor_p99 for n in names)
    errors = sum(results[n].errors for n in names)
    table.note(
        f"target: zero errors and p99 within 1.5x of the floor: "
        f"{'met' if errors == 0 and worst <= 1.5 else 'NOT met'} (worst {worst:.2f}x)"
    )
    if polls and large and len(names) == 2:
        empty, full = (len(results[n].latencies) / end_to_end[n] for n in names)
        table.note(
            f"target: end-to-end poll throughput at {large:,} decisions at least 50% of the"
            f" empty database's: {'met' if full >= 0.5 * empty else 'NOT met'}"
            f" ({100 * full / empty:.0f}%); every poll posted ({posted:,})"
        )
    table.note(f"the {large:,}-decision database took {built:.0f} s to build; {machine()}")
    return table
