"""The Home tab's per-page queries read only the page's rows: on SQLite they search the votes
and reviews by decision, not every vote or review of the workspace (which made a page of a
100,000-decision log about ten times slower than one of a 1,000-decision log)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from storage import decision_log as log_rows
from storage.db import session_scope
from tests.log_helpers import TEAM, add_decision, add_vote


def plans(engine: Engine, run: Any) -> list[str]:
    """The SQLite query plan of every statement `run(session)` executes."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as session:
            run(session)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    found = []
    with engine.connect() as conn:
        for statement, params in seen:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            found.append(" / ".join(str(r[-1]) for r in rows))
    return found


def test_page_queries_search_by_decision(engine: Engine) -> None:
    decision = add_decision(engine)
    add_vote(engine, decision, "U0DAN", "disagree", "no")
    ids = [int(decision.id or 0)]
    dissent = plans(
        engine, lambda s: log_rows.dissent_counts(session=s, team_id=TEAM, decision_ids=ids)
    )
    overdue = plans(
        engine, lambda s: log_rows.overdue_review_ids(session=s, team_id=TEAM, decision_ids=ids)
    )
    # Indexes that start with the decision (issue 16 made them composite).
    assert len(dissent) == 1 and "INDEX ix_vote_decision_" in dissent[0], dissent
    assert "(decision_id=?" in dissent[0], dissent
    assert len(overdue) == 1 and "INDEX ix_review_decision (decision_id=?" in overdue[0], overdue
    # Still only this workspace's rows.
    with session_scope(engine) as session:
        assert log_rows.dissent_counts(session=session, team_id=TEAM, decision_ids=ids) == {
            ids[0]: 1
        }
        assert log_rows.dissent_counts(session=session, team_id="T0OTHER", decision_ids=ids) == {}


def test_decision_channels_jump_through_the_index(engine: Engine) -> None:
    for channel in ("C0B", "C0A", None, "C0B", "G0SECRET", "C0A"):
        add_decision(engine, channel_id=channel)
    add_decision(engine, team_id="T0OTHER", channel_id="C0THEIRS")
    with session_scope(engine) as session:
        found = log_rows.decision_channels(session=session, team_id=TEAM)
    assert sorted(found) == ["C0A", "C0B", "G0SECRET"]
    with session_scope(engine) as session:
        assert log_rows.decision_channels(session=session, team_id="T0NONE") == []
    # One index search per channel instead of reading every decision of the workspace.
    plan = " / ".join(plans(engine, lambda s: log_rows.decision_channels(session=s, team_id=TEAM)))
    assert "ix_decision_team_channel_created (team_id=? AND channel_id>?)" in plan, plan
