"""The playground benchmark still runs (tiny sizes; the figures come from the README's run)."""

from __future__ import annotations

from benchmarks.playground import VIEWS, bench_playground


def test_the_playground_benchmark_fetches_every_view_at_both_sizes() -> None:
    table = bench_playground(sizes=(20, 60), runs=2)
    assert [row[0] for row in table.rows] == list(VIEWS)
    assert all(float(row[1]) > 0 and float(row[2]) > 0 for row in table.rows)
    assert any("2 runs after a warm-up" in note for note in table.notes)
