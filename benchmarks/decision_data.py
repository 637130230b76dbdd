"""A large decision log for the export and Home tab benchmarks, bulk-inserted quickly.

`decisions(n)` and `votes_of(i)` generate the rows deterministically, so a benchmark can write
the very same cells without the database (the floor) that the export reads from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from storage.db import make_engine, migrate
from storage.models import Decision, Vote

TEAM = "T0BENCH"
CHANNELS = [f"C0CHAN{n:03d}" for n in range(20)]
# One decision an hour: a long log is a long history, not a busier month.
SPACING = timedelta(hours=1)
OPEN = ("active", "active", "active", "active", "under_review", "halted")
CLOSED = ("amended", "reversed", "superseded")
CHOICES = ("agree", "disagree_commit", "disagree")
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
CHUNK = 5_000


def end_of(total: int) -> datetime:
    """A day after the last decision of a log of `total` decisions: "now" for the benchmarks."""
    return START + SPACING * total + timedelta(days=1)


def decision_row(i: int, total: int) -> dict[str, Any]:
    """Decisions whose review date passed were reviewed: most were then amended, reversed or
    superseded, one in ten kept (next review ahead), one in two hundred is overdue."""
    created = START + SPACING * i
    review_on = created + timedelta(days=30 + i % 150)
    status = OPEN[i % len(OPEN)]
    end = end_of(total)
    if review_on < end and i % 200 != 0:
        if i % 10 == 0:
            review_on = end + timedelta(days=i % 180)
        else:
            status = CLOSED[i % len(CLOSED)]
    return {
        "id": i + 1,
        "team_id": TEAM,
        "number": i + 1,
        "channel_id": CHANNELS[i % len(CHANNELS)],
        "poll_ts": f"{1_700_000_000 + i}.000100",
        "record_ts": f"{1_700_000_000 + i}.000200",
        "permalink": f"https://bench.slack.com/archives/{CHANNELS[i % len(CHANNELS)]}/p{i}",
        "owner_id": f"U{i % 300:07d}",
        "proposed_by": f"U{(i * 7) % 300:07d}",
        "proposal": f"Proposal {i}: we move the weekly planning of team {i % 40} to Tuesdays",
        "final_text": f"Decision {i}: team {i % 40} plans on Tuesdays from next month, & reviews",
        "confidence": 30 + (i * 13) % 70,
        "door": "one-way" if i % 5 == 0 else "two-way",
        "review_on": review_on,
        "closes_at": None,
        "anonymous": False,
        "status": status,
        "source": "poll",
        "narrative_id": None,
        "created_at": created,
        "decided_at": created + timedelta(hours=2),
        "replaces_id": None,
        "replaced_by_id": None,
    }


def vote_rows(i: int, per_decision: int) -> list[dict[str, Any]]:
    created = START + SPACING * i
    rows = []
    for k in range(per_decision):
        choice = CHOICES[(i + k) % 3]
        rows.append(
            {
                "team_id": TEAM,
                "decision_id": i + 1,
                "user_id": f"U{(i + 31 * k) % 300:07d}",
                "choice": choice,
                "reason": None if choice == "agree" else f"Voter {k} on {i}: too early <for> us",
                "cast_at": created + timedelta(minutes=10 + k),
                "current": True,
                "committed_at": created + timedelta(minutes=10 + k)
                if choice == "disagree_commit"
                else None,
            }
        )
    return rows


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def build(url: str, decisions: int, votes_per_decision: int = 3) -> Engine:
    """A migrated database at `url` holding `decisions` decisions of TEAM and their votes."""
    engine = make_engine(url)
    migrate(engine)
    decision_table = Decision.__table__  # type: ignore[attr-defined]
    vote_table = Vote.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for chunk in _chunks(decision_row(i, decisions) for i in range(decisions)):
            conn.execute(decision_table.insert(), chunk)
        for chunk in _chunks(
            row for i in range(decisions) for row in vote_rows(i, votes_per_decision)
        ):
            conn.execute(vote_table.insert(), chunk)
    return engine
