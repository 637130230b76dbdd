"""Run the benchmarks and print their figures:

python -m benchmarks                 # all of them
python -m benchmarks ack catchup     # some
python -m benchmarks catchup --database postgresql://postgres@127.0.0.1/scratch --instances 2
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable

from benchmarks.report import Table, machine

NAMES = ("ack", "votes", "export", "home", "catchup", "scale", "playground", "teams")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"{', '.join(NAMES)} (default: all)"
    )
    parser.add_argument("--requests", type=int, default=2000, help="ack: signed requests")
    parser.add_argument("--concurrency", type=int, default=20, help="ack: concurrent clients")
    parser.add_argument("--command", default="/decide", help="ack: slash command")
    parser.add_argument(
        "--text", default="We launch the new pricing in March", help="ack: its text"
    )
    parser.add_argument(
        "--ack-rounds",
        type=int,
        default=4,
        help="ack: alternating rounds (each a burst of requests/rounds per server)",
    )
    parser.add_argument(
        "--large", type=int, default=100_000, help="ack: decisions in the large database (0: none)"
    )
    parser.add_argument(
        "--postgresql",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="scale: the admin database to create scratch databases from ('' to skip)",
    )
    parser.add_argument("--timers", type=int, default=10_000, help="catchup: due timers")
    parser.add_argument(
        "--database", help="catchup: also run on this scratch database (its timers are deleted)"
    )
    parser.add_argument("--instances", type=int, default=1, help="catchup: timer services")
    parser.add_argument(
        "--rounds", type=int, default=1, help="export: rounds, alternating which writer goes first"
    )
    args = parser.parse_args()
    unknown = sorted(set(args.names) - set(NAMES))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(NAMES)}")
    logging.basicConfig(level=logging.WARNING)
    # Votes schedule timers no service runs in the scaling benchmark: not its warnings.
    logging.getLogger("bot.timers").setLevel(logging.ERROR)

    from benchmarks.ack import bench_ack
    from benchmarks.catchup import bench_catchup
    from benchmarks.export import bench_export
    from benchmarks.home import bench_home
    from benchmarks.playground import bench_playground
    from benchmarks.scale import bench_scale
    from benchmarks.teams_ack import bench_teams_ack
    from benchmarks.votes import bench_vote_burst

    benches: dict[str, Callable[[], Table]] = {
        "ack": lambda: bench_ack(
            requests=args.requests,
            concurrency=args.concurrency,
            command=args.command,
            text=args.text,
            rounds=args.ack_rounds,
            large=args.large,
        ),
        "votes": bench_vote_burst,
        "teams": lambda: bench_teams_ack(requests=args.requests, concurrency=args.concurrency),
        "export": lambda: bench_export(rounds=args.rounds),
        "home": bench_home,
        "playground": bench_playground,
        "scale": lambda: bench_scale(postgresql=args.postgresql or None),
        "catchup": lambda: bench_catchup(
            timers=args.timers, database=args.database, instances=args.instances
        ),
    }
    print(f"Narrative benchmarks on {machine()}\n")
    for name in args.names or NAMES:
        started = time.perf_counter()
        table = benches[name]()
        print(table.render())
        print(f"  ({time.perf_counter() - started:.1f}s)\n", flush=True)


if __name__ == "__main__":
    main()
