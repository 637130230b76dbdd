"""A workspace that looks like a real log, for the scaling benchmark (issue 16).

Per decision: 3 votes (two with a reason), 5 history events, an answered review once its date
has passed, a pending review timer while it has not, and a done poll timer for one in eight.
One narrative per 20 decisions, each with 5 expected readers and 5 questions carrying 0-5 👍.
The history is one decision an hour; the last month is dense: the newest 1,440 decisions came
two an hour (so a 1,000-decision workspace is all recent month, and a 100,000-decision one has
1,440 decisions in its last 30 days). Words vary: each proposal names one of 400 topics and one
of 5,000 customers, so a two-word search finds a handful of decisions at any size.

At 100,000 decisions: 300,000 votes, about 99,000 answered reviews, 500,000 events, about
14,000 timers, 5,000 narratives, 25,000 questions and 62,500 upvotes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from benchmarks.decision_data import CHANNELS, TEAM, decision_row, vote_rows
from storage import search
from storage.db import make_engine, migrate, session_scope
from storage.models import (
    Decision,
    DecisionEvent,
    Narrative,
    NarrativeReader,
    Question,
    QuestionUpvote,
    Review,
    Timer,
    Vote,
)

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DENSE = 1_440  # decisions in the last 30 days (two an hour)
PER_NARRATIVE = 20
QUESTIONS = 5
CHUNK = 5_000
TOPICS = [f"topic{n:03d}" for n in range(400)]
CUSTOMERS = [f"Customer{n:04d}" for n in range(5_000)]
# Words for the search benchmark: none matches / a rare pair (a customer and a topic).
NO_MATCH = ("zzyzx",)


def two_words(total: int) -> tuple[str, str]:
    """A customer and a topic that occur together in a few decisions of any size."""
    i = total - 7
    return (CUSTOMERS[i % len(CUSTOMERS)].lower(), TOPICS[i % len(TOPICS)])


def created_at(i: int, total: int) -> datetime:
    """Decision i of `total`: the newest DENSE two an hour up to NOW, the rest one an hour."""
    from_end = total - 1 - i
    if from_end < DENSE:
        return NOW - timedelta(minutes=30 * (from_end + 1))
    return NOW - timedelta(minutes=30 * DENSE) - timedelta(hours=from_end - DENSE + 1)


def review_delay(i: int) -> timedelta:
    """From a decision to its first review: a week to five months."""
    return timedelta(days=7 + (i * 37) % 150)


def _decision(i: int, total: int) -> dict[str, Any]:
    row = decision_row(i, total)
    created = created_at(i, total)
    review_on = created + review_delay(i)
    status = row["status"]
    if review_on < NOW and status not in ("amended", "reversed", "superseded"):
        status = ("amended", "reversed", "superseded", "active")[i % 4]
        if status == "active":
            review_on = NOW + timedelta(days=1 + i % 180)
    topic, customer = TOPICS[i % len(TOPICS)], CUSTOMERS[i % len(CUSTOMERS)]
    row.update(
        proposal=f"Proposal {i}: {customer} moves to the {topic} plan of team {i % 40}",
        final_text=f"Decision {i}: {customer} gets the {topic} plan from next month",
        created_at=created,
        decided_at=created + timedelta(hours=2),
        review_on=review_on,
        status=status,
        narrative_id=(i // PER_NARRATIVE) + 1 if i % PER_NARRATIVE == 0 else None,
    )
    return row


def _votes(i: int, total: int) -> list[dict[str, Any]]:
    rows = vote_rows(i, 3)
    created = created_at(i, total)
    for k, row in enumerate(rows):
        row["cast_at"] = created + timedelta(minutes=10 + k)
        if row["committed_at"] is not None:
            row["committed_at"] = row["cast_at"]
    return rows


def _events(i: int, total: int) -> list[dict[str, Any]]:
    created = created_at(i, total)
    kinds = ("proposed", "vote", "vote", "vote", "finalized")
    return [
        {
            "team_id": TEAM,
            "decision_id": i + 1,
            "at": created + timedelta(minutes=10 * k),
            "user_id": f"U{(i + k) % 300:07d}",
            "kind": kind,
            "detail": '{"choice": "agree"}' if kind == "vote" else None,
        }
        for k, kind in enumerate(kinds)
    ]


def _review_and_timers(d: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    i = int(d["id"]) - 1
    reviews: list[dict[str, Any]] = []
    timers: list[dict[str, Any]] = []
    first_review = d["created_at"] + review_delay(i)
    if first_review < NOW:
        late = i % 7 == 0
        reviews.append(
            {
                "team_id": TEAM,
                "decision_id": d["id"],
                "due_at": first_review,
                "sent_at": first_review,
                "reminded_at": first_review + timedelta(days=3) if late else None,
                "answered_at": first_review + timedelta(days=4 if late else 1),
                "answered_by": d["owner_id"],
                "outcome": {"amended": "amend", "reversed": "reverse"}.get(d["status"], "keep"),
                "actual_confidence": 20 + (i * 17) % 80,
            }
        )
    if d["status"] == "active" and d["review_on"] > NOW:
        timers.append(_timer(d, "review_due", d["review_on"], "pending"))
    if i % 8 == 0:
        timers.append(_timer(d, "poll_close", d["created_at"] + timedelta(hours=1), "done"))
    return reviews, timers


def _timer(d: dict[str, Any], kind: str, due: datetime, status: str) -> dict[str, Any]:
    return {
        "team_id": TEAM,
        "kind": kind,
        "ref_id": d["id"],
        "due_at": due,
        "status": status,
        "attempts": 0 if status == "pending" else 1,
        "created_at": d["created_at"],
        "done_at": None if status == "pending" else due,
    }


def _narrative_rows(n: int, total: int) -> dict[str, list[dict[str, Any]]]:
    """Narrative n (from 1) is held just before decision (n - 1) * PER_NARRATIVE."""
    i = (n - 1) * PER_NARRATIVE
    started = created_at(i, total) - timedelta(hours=1)
    out: dict[str, list[dict[str, Any]]] = {"narrative": [], "reader": [], "question": []}
    out["narrative"].append(
        {
            "id": n,
            "team_id": TEAM,
            "channel_id": CHANNELS[n % len(CHANNELS)],
            "owner_id": f"U{n % 300:07d}",
            "title": f"Narrative {n}: the {TOPICS[n % len(TOPICS)]} plan",
            "kind": "six-pager",
            "reading_seconds": 1200,
            "started_at": started,
            "ends_at": started + timedelta(minutes=20),
            "ended_at": started + timedelta(minutes=20),
            "end_reason": "time",
            "state": "ended",
            "message_ts": f"{1_600_000_000 + n}.000300",
            "digest_parts_posted": 1,
        }
    )
    for r in range(5):
        out["reader"].append(
            {
                "team_id": TEAM,
                "narrative_id": n,
                "user_id": f"U{(n + 37 * r) % 300:07d}",
                "expected": True,
                "done_at": started + timedelta(minutes=5 + r) if r < 4 else None,
            }
        )
    for k in range(QUESTIONS):
        out["question"].append(
            {
                "id": (n - 1) * QUESTIONS + k + 1,
                "team_id": TEAM,
                "narrative_id": n,
                "author_id": f"U{(n + 11 * k) % 300:07d}",
                "text": f"Question {k} on narrative {n}: what about the {TOPICS[k]} customers?",
                "private": False,
                "message_ts": f"{1_600_000_000 + n}.{k:06d}",
                "asked_at": started + timedelta(minutes=k),
                "after_reading": False,
            }
        )
    return out


def _upvotes(n: int) -> list[dict[str, Any]]:
    rows = []
    for k in range(QUESTIONS):
        question = (n - 1) * QUESTIONS + k + 1
        for u in range((n + k) % 6):
            rows.append(
                {"team_id": TEAM, "question_id": question, "user_id": f"U{(n + 53 * u) % 300:07d}"}
            )
    return rows


def _insert(conn: Any, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    chunk: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            conn.execute(table.insert(), chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        conn.execute(table.insert(), chunk)
        count += len(chunk)
    return count


def build(url: str, total: int) -> tuple[Engine, dict[str, int]]:
    """A migrated database at `url` holding a realistic workspace of `total` decisions; and how
    many rows of each kind it holds. The search index is kept by its triggers while loading."""
    engine = make_engine(url)
    migrate(engine)
    narratives = (total + PER_NARRATIVE - 1) // PER_NARRATIVE
    counts: dict[str, int] = {}

    def table(model: Any) -> Table:
        return model.__table__  # type: ignore[no-any-return]

    with engine.begin() as conn:
        parts = [_narrative_rows(n, total) for n in range(1, narratives + 1)]
        for name, model in (
            ("narrative", Narrative),
            ("reader", NarrativeReader),
            ("question", Question),
        ):
            counts[name] = _insert(conn, table(model), (r for p in parts for r in p[name]))
        counts["upvote"] = _insert(
            conn, table(QuestionUpvote), (r for n in range(1, narratives + 1) for r in _upvotes(n))
        )
        decisions = [_decision(i, total) for i in range(total)]
        counts["decision"] = _insert(conn, table(Decision), iter(decisions))
        counts["vote"] = _insert(
            conn, table(Vote), (v for i in range(total) for v in _votes(i, total))
        )
        counts["event"] = _insert(
            conn, table(DecisionEvent), (e for i in range(total) for e in _events(i, total))
        )
        pairs = [_review_and_timers(d) for d in decisions]
        counts["review"] = _insert(conn, table(Review), (r for rs, _ in pairs for r in rs))
        counts["timer"] = _insert(conn, table(Timer), (t for _, ts in pairs for t in ts))
        if conn.dialect.name == "postgresql":
            # Explicit ids were inserted: move the sequences past them, as a real log's are.
            for name in ("decision", "narrative", "question"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
    with session_scope(engine) as session:
        search.tidy(session=session)  # as the migration does after indexing a log
    if engine.dialect.name == "postgresql":
        # Statistics, as autovacuum keeps them on a real server (SQLite has none unless someone
        # runs ANALYZE, and Narrative does not: its plans must be right without them).
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    return engine, counts
