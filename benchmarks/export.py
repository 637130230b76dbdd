"""Export: 100,000 decisions with 300,000 votes to xlsx, next to the floor.

The export (`bot.export.write_workbook`: reads the log from SQLite in batches, computes the
summary in the database and writes a styled write-only workbook) and the floor (plain openpyxl
in write-only mode writing the same rows and columns, made in memory without a database, styles
or links) each run in a fresh subprocess that does only that, one after the other; with
`--rounds N` N times, alternating which goes first, and each writer's fastest round counts (the
machine's other work slows both alike). Besides the time, each reports the CPU time it used
(user and system), which other work sharing the cores inflates less. Peak memory is the
process's own high-water mark (`VmHWM`), not `ru_maxrss`, which a child started by fork and
exec inherits from its parent.

    python -m benchmarks export [--rounds N]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.report import Table, machine

DECISIONS = 100_000
VOTES_PER_DECISION = 3
CHOICE_NAMES = {"agree": "Agree", "disagree_commit": "Disagree, but commit", "disagree": "Disagree"}


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def _rss_now_kb() -> int:
    return _status_kb("VmRSS")


def _peak_kb() -> int:
    """This process's own peak resident memory (reset by exec, unlike ru_maxrss)."""
    return _status_kb("VmHWM")


def run_export(db: str, out: str) -> dict[str, Any]:
    from bot.export import write_workbook
    from storage.db import make_engine
    from storage.decision_log import LogQuery

    engine = make_engine(f"sqlite:///{db}")
    baseline = _rss_now_kb()
    started, cpu = time.perf_counter(), time.process_time()
    summary = write_workbook(
        engine=engine, team_id="T0BENCH", query=LogQuery(), out=out, tz="Europe/Berlin"
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "peak_kb": _peak_kb(),
        "baseline_kb": baseline,
        "rows": summary.rows,
    }


def run_floor(out: str, decisions: int, per_decision: int) -> dict[str, Any]:
    """The same cells, written as plainly as openpyxl can: the fastest this export could be."""
    from openpyxl import Workbook

    from benchmarks.decision_data import decision_row, vote_rows

    baseline = _rss_now_kb()
    started, cpu = time.perf_counter(), time.process_time()
    wb = Workbook(write_only=True)
    wb.create_sheet("Summary").append(["header"] * 8)
    ds, vs = wb.create_sheet("Decisions"), wb.create_sheet("Votes")
    for name in ("Reviews", "Questions", "Reflections"):
        wb.create_sheet(name).append(["header"] * 8)
    ds.append([f"column {n}" for n in range(26)])
    vs.append([f"column {n}" for n in range(7)])
    rows = {"Decisions": 0, "Votes": 0}
    for i in range(decisions):
        d = decision_row(i, decisions)
        votes = vote_rows(i, per_decision)
        tally = {c: sum(1 for v in votes if v["choice"] == c) for c in CHOICE_NAMES}
        dissent = [v for v in votes if v["choice"] != "agree"]
        label = f"D-{d['number']}"
        ds.append(
            [
                label,
                d["final_text"],
                d["proposal"],
                d["status"],
                d["owner_id"],
                d["proposed_by"],
                d["channel_id"],
                d["source"],
                d["created_at"].replace(tzinfo=None),
                d["decided_at"].replace(tzinfo=None),
                d["confidence"] / 100,
                d["door"],
                d["review_on"].date(),
                tally["agree"],
                tally["disagree_commit"],
                tally["disagree"],
                len(dissent),
                "\n".join(
                    f"{v['user_id']} ({CHOICE_NAMES[v['choice']]}): {v['reason']}" for v in dissent
                ),
                None,
                None,
                None,
                None,
                None,
                0,
                None,
                d["permalink"],
            ]
        )
        rows["Decisions"] += 1
        for v in votes:
            vs.append(
                [
                    label,
                    v["user_id"],
                    CHOICE_NAMES[v["choice"]],
                    v["reason"],
                    v["cast_at"].replace(tzinfo=None),
                    "yes",
                    v["committed_at"].replace(tzinfo=None) if v["committed_at"] else None,
                ]
            )
            rows["Votes"] += 1
    wb.save(out)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu_seconds": time.process_time() - cpu,
        "peak_kb": _peak_kb(),
        "baseline_kb": baseline,
        "rows": rows,
    }


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.export", "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest round's figures; memory the highest of any round."""
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["cpu_seconds"] = min(r["cpu_seconds"] for r in runs)
    best["peak_kb"], best["baseline_kb"] = max(
        ((r["peak_kb"], r["baseline_kb"]) for r in runs), key=lambda m: m[0] - m[1]
    )
    return best


def bench_export(
    decisions: int = DECISIONS, per_decision: int = VOTES_PER_DECISION, rounds: int = 1
) -> Table:
    from benchmarks.decision_data import build

    runs: dict[str, list[dict[str, Any]]] = {"export": [], "floor": []}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        db = str(Path(folder) / "log.db")
        started = time.perf_counter()
        build(f"sqlite:///{db}", decisions, per_decision).dispose()
        loaded = time.perf_counter() - started
        export_out, floor_out = str(Path(folder) / "export.xlsx"), str(Path(folder) / "floor.xlsx")
        children = {
            "export": ["export", db, export_out],
            "floor": ["floor", floor_out, str(decisions), str(per_decision)],
        }
        for round_ in range(max(rounds, 1)):
            # Alternate which goes first, so that neither always meets the same moment.
            order = ("export", "floor") if round_ % 2 == 0 else ("floor", "export")
            for name in order:
                runs[name].append(_child(children[name]))
        export_size = os.path.getsize(export_out)
        floor_size = os.path.getsize(floor_out)
    export, floor = _best(runs["export"]), _best(runs["floor"])

    want = {"Decisions": decisions, "Votes": decisions * per_decision}
    table = Table(
        f"Export: {decisions:,} decisions with {decisions * per_decision:,} votes to xlsx",
        [
            "writer",
            "seconds",
            "CPU seconds",
            "peak RSS (MB)",
            "above start (MB)",
            "file (MB)",
            "rows",
        ],
    )
    for name, result, size in (
        ("bot/export.py (from SQLite)", export, export_size),
        ("floor: plain openpyxl write-only", floor, floor_size),
    ):
        rows = {k: result["rows"].get(k) for k in want}
        table.add(
            name,
            f"{result['seconds']:.1f}",
            f"{result['cpu_seconds']:.1f}",
            f"{result['peak_kb'] / 1024:.0f}",
            f"{(result['peak_kb'] - result['baseline_kb']) / 1024:.0f}",
            f"{size / 1e6:.1f}",
            f"{rows['Decisions']:,} + {rows['Votes']:,}" + ("" if rows == want else " (WRONG)"),
        )
    if rounds > 1:
        for name in ("export", "floor"):
            each = ", ".join(f"{r['seconds']:.1f}" for r in runs[name])
            table.note(f"{name} seconds per round: {each}.")
    table.note(
        f"Time ratio export / floor: {export['seconds'] / floor['seconds']:.2f}x"
        f" (CPU time: {export['cpu_seconds'] / floor['cpu_seconds']:.2f}x)."
    )
    table.note(f"Bulk-loading the SQLite file took {loaded:.1f} s. {machine()}.")
    return table


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        kind, rest = sys.argv[2], sys.argv[3:]
        if kind == "export":
            result = run_export(rest[0], rest[1])
        else:
            result = run_floor(rest[0], int(rest[1]), int(rest[2]))
        print(json.dumps(result))
    else:
        print(bench_export().render())
