"""The query plan of every statement each operation of the scaling benchmark runs, on a built
workspace (SQLite: `EXPLAIN QUERY PLAN`; PostgreSQL: `EXPLAIN`), to check that each one reads
by an index that starts with what it filters on.

    python -m benchmarks.plans --size 20000 [--postgresql URL-of-a-scratch-database]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from benchmarks.scale import operations
from benchmarks.workspace_data import build
from tests.slack_double import SlackDouble


def explain(engine: Engine, size: int, slack: SlackDouble) -> None:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE")):
            seen.append((statement, params))

    sqlite = engine.dialect.name == "sqlite"
    for name, run in operations(engine, size, slack).items():
        run(-1)  # the vote needs its poll; caches warm
        seen.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            run(0)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        print(f"\n=== {name}: {len(seen)} statements")
        with engine.connect() as conn:
            for statement, params in seen:
                prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
                rows = conn.exec_driver_sql(prefix + statement, params).all()
                plan = " / ".join(str(r[-1]).strip() for r in rows)
                print(f"- {' '.join(statement.split())[:160]}\n    {plan}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plans")
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--postgresql", help="a scratch database to build the workspace in")
    args = parser.parse_args()
    logging.getLogger("bot.timers").setLevel(logging.ERROR)
    with SlackDouble() as slack, tempfile.TemporaryDirectory() as folder:
        url = args.postgresql or f"sqlite:///{Path(folder) / 'plans.db'}"
        engine, _counts = build(url, args.size)
        try:
            explain(engine, args.size, slack)
        finally:
            engine.dispose()


if __name__ == "__main__":
    main()
