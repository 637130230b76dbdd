"""The benchmark suite still runs (tiny sizes; the figures come from `python -m benchmarks`)."""

from __future__ import annotations

from benchmarks.ack import bench_ack
from benchmarks.catchup import bench_catchup
from benchmarks.report import percentile


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50.0,
        99.0,
        100.0,
    )


def test_ack_benchmark_runs_every_server_without_errors() -> None:
    table = bench_ack(requests=40, concurrency=4, rounds=2, large=300)
    rows = {row[0]: row for row in table.rows}
    assert set(rows) == {
        "bare Bolt app (floor)",
        "Narrative, empty database",
        "Narrative, 300 decisions",
    }
    assert [rows[name][1:3] for name in rows] == [["40", "0"], ["40", "0"], ["40", "0"]]
    # Every poll posted, and an end-to-end throughput for each Narrative.
    assert all(rows[name][7] != "-" for name in rows if name.startswith("Narrative"))
    assert any("every poll posted (280)" in note for note in table.notes), table.notes


def test_catch_up_benchmark_fires_each_timer_once() -> None:
    table = bench_catchup(timers=50)
    [row] = table.rows
    assert row[4:] == ["50", "0", "50"]


def test_every_benchmark_module_imports() -> None:
    """A benchmark that cannot even be imported (a module moved under it) fails here, not in
    the middle of a measuring session."""
    import importlib
    import pkgutil

    import benchmarks

    names = [m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name != "__main__"]
    assert {"ack", "export", "scale", "votes"} <= set(names)
    for name in names:
        importlib.import_module(f"benchmarks.{name}")


def test_teams_ack_benchmark_runs_both_servers_without_errors() -> None:
    from benchmarks.teams_ack import bench_teams_ack

    table = bench_teams_ack(requests=40, concurrency=4, rounds=2)
    rows = {row[0]: row for row in table.rows}
    assert set(rows) == {"bare Agents SDK app (floor)", "Narrative (Teams)"}
    assert [rows[name][1:3] for name in rows] == [["40", "0"], ["40", "0"]]
