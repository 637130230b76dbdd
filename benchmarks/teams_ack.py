"""(7) Teams acknowledgement latency: `adaptiveCard/action` Agree clicks (each a new vote,
stored before the answer) at N concurrent clients against `narrative-bot run --teams` (a child
process, anonymous mode, replies to the Teams double), next to a bare Microsoft 365 Agents SDK
app that only answers (`benchmarks.bare_agents_app`, the floor)."""

from __future__ import annotations

import itertools
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.report import Table, machine, percentile
from tests.process import BotProcess
from tests.teams_double import CHANNEL, TeamsDouble, activity, mention_message


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0


def _click(double: TeamsDouble, user: str, poll_id: str) -> dict[str, object]:
    return activity(
        double,
        "invoke",
        name="adaptiveCard/action",
        user=user,
        user_name=user,
        replyToId=poll_id,
        value={
            "action": {
                "type": "Action.Execute",
                "verb": "agree",
                "data": {"verb": "agree", "decision": 1},
            }
        },
    )


def load(
    double: TeamsDouble,
    url: str,
    poll_id: str,
    total: int,
    concurrency: int,
    users: itertools.count[int],
) -> Run:
    """`total` Agree clicks, each by a new person, from `concurrency` threads."""
    run = Run()
    lock = threading.Lock()
    counter = iter(range(total))

    def worker() -> None:
        while True:
            with lock:
                if next(counter, None) is None:
                    return
                user = f"29:u{next(users)}"
            body = _click(double, user, poll_id)
            started = time.perf_counter()
            try:
                status, answer = double.send(url, body)
                ok = status == 200 and isinstance(answer, dict)
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


def bench_teams_ack(*, requests: int = 2000, concurrency: int = 20, rounds: int = 4) -> Table:
    double = TeamsDouble()
    double.start()
    users = itertools.count(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {
            "TEAMS_ANONYMOUS": "true",
            "DATABASE_URL": f"sqlite:///{work / 'teams.db'}",
            "LOG_LEVEL": "WARNING",
        }
        floor = "bare Agents SDK app (floor)"
        servers = {
            floor: BotProcess(
                cwd=work,
                env=env,
                signing_secret="-",
                argv=("-m", "benchmarks.bare_agents_app", "--port", "{port}"),
            ),
            "Narrative (Teams)": BotProcess(
                cwd=work,
                env=env,
                signing_secret="-",
                argv=(
                    "-m",
                    "handlers",
                    "run",
                    "--teams",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "{port}",
                ),
            ),
        }
        results = {name: Run() for name in servers}
        try:
            for server in servers.values():
                server.start().wait_ready()
            bot = servers["Narrative (Teams)"]
            status, _ = double.send(
                f"{bot.base_url}/api/messages", mention_message(double, "decide We launch in March")
            )
            assert status == 202, status
            poll_id = double.posts(CHANNEL)[0].answered_id or ""
            for server in servers.values():  # warm-up
                load(double, f"{server.base_url}/api/messages", poll_id, 100, concurrency, users)
            for _ in range(rounds):
                for name, server in servers.items():
                    part = load(
                        double,
                        f"{server.base_url}/api/messages",
                        poll_id,
                        requests // rounds,
                        concurrency,
                        users,
                    )
                    results[name].latencies += part.latencies
                    results[name].errors += part.errors
                    results[name].seconds += part.seconds
        finally:
            for server in servers.values():
                server.stop()
            double.stop()
    table = Table(
        f"(7) Teams ack latency: {requests} Agree clicks (adaptiveCard/action, each a new vote) "
        f"per server at {concurrency} clients, {rounds} alternating rounds",
        ["server", "requests", "errors", "p50 ms", "p99 ms", "req/s", "p99 / floor"],
    )
    floor_p99 = percentile(results[floor].latencies, 99)
    for name, run in results.items():
        p99 = percentile(run.latencies, 99)
        table.add(
            name,
            len(run.latencies) + run.errors,
            run.errors,
            f"{percentile(run.latencies, 50) * 1000:.1f}",
            f"{p99 * 1000:.1f}",
            f"{(len(run.latencies) + run.errors) / run.seconds:.0f}" if run.seconds else "-",
            f"{p99 / floor_p99:.2f}x",
        )
    table.note(machine())
    return table
