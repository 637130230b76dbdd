"""Benchmarks that need features not merged yet. Each is a hook with what it must measure;
replace the body when the feature lands and it will appear in `python -m benchmarks`."""

from __future__ import annotations

from benchmarks.report import Table


def _pending(title: str, needs: str) -> Table:
    table = Table(title, ["status"])
    table.add(f"not run yet: needs {needs}")
    return table


def bench_vote_burst() -> Table:
    # TODO(decide): 1,000 votes by 200 users on one /decide poll through the `bot` stack (signed
    # block_actions at 20 clients): seconds until all are stored, number of chat.update calls
    # (coalesced: about one per second), and the exact final tally in the last update.
    return _pending("(2) vote burst: 1,000 votes by 200 users on one poll", "/decide polls")


def bench_export() -> Table:
    # TODO(log export): 100,000 decisions with 300,000 votes to xlsx: seconds and peak memory
    # (tracemalloc), next to plain openpyxl write-only writing the same cells (the floor).
    # Targets: peak memory flat, well under 200 MB; time within 1.5x of the floor.
    return _pending("(3) export: 100,000 decisions, 300,000 votes", "the decision-log export")


def bench_home() -> Table:
    # TODO(log): Home tab build time at 1,000 and at 100,000 decisions in one workspace (and
    # noise in others); the second within 2x of the first.
    return _pending(
        "(4) Home tab build at 1,000 and 100,000 decisions", "the decision log Home tab"
    )
