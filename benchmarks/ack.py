"""(1) Acknowledgement latency: signed slash commands at N concurrent clients against the real
HTTP server (`narrative-bot run --http` in a child process, against the Slack test double),
next to a bare Bolt app on the same HTTP stack that only acknowledges (the floor)."""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.report import Table, percentile
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


def bench_ack(
    *,
    requests: int = 2000,
    concurrency: int = 20,
    command: str = "/decide",
    text: str = "We launch the new pricing in March",
    rounds: int = 4,
) -> Table:
    # A proposal posts one poll per request (after the ack); `help` only answers privately.
    polls = command == "/decide" and text.strip().lower() not in ("", "help")
    with tempfile.TemporaryDirectory() as tmp, SlackDouble() as slack:
        work = Path(tmp)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{work / 'narrative.db'}",
            "LOG_LEVEL": "WARNING",
            # Room for the whole burst: this measures the acknowledgement path. At the default
            # bound (1,000) a burst that posts slower than it is acknowledged fills the queue,
            # and acknowledgements then come at the rate polls are posted (backpressure, see
            # handlers.slack.work; tests/handlers/slack/test_work.py covers it).
            "WORK_QUEUE_LIMIT": str(requests + 200),
        }
        narrative = BotProcess(cwd=work, env=env)
        bare = BotProcess(
            cwd=work,
            env=env,
            argv=("-m", "benchmarks.bare_app", "--port", "{port}", "--command", command),
        )
        servers = {"bare Bolt app (floor)": bare, "Narrative": narrative}
        try:
            for server in servers.values():
                server.start().wait_ready()
                load(server.client, command, text, 100, concurrency)  # warm-up
            if polls:  # let the warm-up's polls be posted before counting
                slack.wait_for("chat.postMessage", 100, timeout=120)
            slack.clear()
            results = {name: Run() for name in servers}
            # Alternate in rounds so that a noisy neighbour hurts both alike.
            for _ in range(rounds):
                for name, server in servers.items():
                    part = load(server.client, command, text, requests // rounds, concurrency)
                    results[name].latencies += part.latencies
                    results[name].errors += part.errors
                    results[name].seconds += part.seconds
            sent_at = time.perf_counter()
            expected = len(results["Narrative"].latencies) if polls else 0
            if expected:
                slack.wait_for("chat.postMessage", expected, timeout=300)
            posted_after = time.perf_counter() - sent_at
            posted = len(slack.calls("chat.postMessage"))
        finally:
            for server in servers.values():
                server.stop()

    floor = results["bare Bolt app (floor)"]
    table = Table(
        f"(1) ack latency: {requests} signed `{command} {text}` at {concurrency} clients",
        ["server", "requests", "errors", "p50 ms", "p99 ms", "req/s", "p99 / floor"],
    )
    for name, run in results.items():
        p99 = percentile(run.latencies, 99)
        table.add(
            name,
            run.requests,
            run.errors,
            f"{percentile(run.latencies, 50) * 1000:.1f}",
            f"{p99 * 1000:.1f}",
            f"{run.requests / run.seconds:.0f}" if run.seconds else "-",
            f"{p99 / percentile(floor.latencies, 99):.2f}x",
        )
    ours = results["Narrative"]
    ratio = percentile(ours.latencies, 99) / percentile(floor.latencies, 99)
    every_poll = posted == expected
    met = ours.errors == 0 and ratio <= 1.5 and every_poll
    table.note(
        "target: zero errors, p99 within 1.5x of the floor"
        + (", every poll posted" if polls else "")
        + f": {'met' if met else 'NOT met'}"
    )
    if polls:
        table.note(
            f"polls posted: {posted:,} for {expected:,} acknowledged requests"
            f"{'' if every_poll else ' (MISSING POLLS)'}; the last {posted_after:.1f} s after"
            " the last request was answered"
        )
    return table
