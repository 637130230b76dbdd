"""Per-decision and per-narrative lookups read only that decision's (narrative's, timer
reference's) rows: on SQLite each one searches an index that starts with the decision, never the
workspace's team index or a scan. At 100,000 decisions the team index named every vote, review,
event and timer of the workspace for each vote cast (issue 16)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import andon, decision_log, decisions, meetings, reflections, timers, votes
from storage.db import session_scope
from storage.models import Decision, Narrative, ReflectionRound
from tests.log_helpers import START, TEAM, add_decision, add_vote

STATEMENTS = ("SELECT", "WITH", "UPDATE", "DELETE")


def plans(engine: Engine, run: Callable[[Session], Any]) -> list[tuple[str, str]]:
    """(statement, SQLite query plan) of every statement `run(session)` executes."""
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(STATEMENTS):
            seen.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_scope(engine) as session:
            run(session)
            session.rollback()  # the lookups that write (cancel_timers) leave nothing behind
    finally:
        event.remove(engine, "before_cursor_execute", record)
    found = []
    with engine.connect() as conn:
        for statement, params in seen:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            found.append((statement, " / ".join(str(r[-1]) for r in rows)))
    return found


def scoped(plan: str, table: str, column: str) -> bool:
    """Whether `plan` reads `table` through an index whose first constraint is `column`."""
    pattern = rf"SEARCH {table} USING (COVERING )?INDEX \w+ \({column}[=>< ]"
    return re.search(pattern, plan) is not None and f"SCAN {table}" not in plan


@pytest.fixture
def rows(engine: Engine) -> dict[str, int]:
    """One decision with votes, and a narrative with a question; ids by name."""
    decision = add_decision(engine)
    add_vote(engine, decision, "U0DAN", "disagree", "too early")
    with session_scope(engine) as session:
        narrative = meetings.insert_narrative(
            session=session,
            team_id=TEAM,
            narrative=Narrative(
                team_id=TEAM,
                channel_id="C0GENERAL",
                owner_id="U0OWNER",
                title="N",
                reading_seconds=60,
                started_at=START,
                ends_at=START,
            ),
        )
        round_ = reflections.insert_round(
            session=session,
            team_id=TEAM,
            round_=ReflectionRound(
                team_id=TEAM,
                channel_id="C0GENERAL",
                questions='["Q"]',
                closes_at=START,
                created_at=START,
            ),
        )
        return {
            "decision": int(decision.id or 0),
            "narrative": int(narrative.id or 0),
            "round": int(round_.id or 0),
        }


def _decision_lookups(d: int) -> dict[str, Callable[[Session], Any]]:
    by = {"session": None, "team_id": TEAM, "decision_id": d}

    def call(fn: Callable[..., Any], **extra: Any) -> Callable[[Session], Any]:
        return lambda s: fn(**{**by, "session": s, **extra})

    return {
        "current_votes": call(votes.current_votes),
        "current_vote": call(votes.current_vote, user_id="U0DAN"),
        "vote_history": call(votes.vote_history),
        "votes_of": call(decision_log.votes_of),
        "current_dissent": call(decision_log.current_dissent),
        "reviews_of": call(decision_log.reviews_of),
        "open_review": call(decision_log.open_review, due_at=START),
        "events_of": call(decision_log.events_of),
        "andon_pulls_of": call(decision_log.andon_pulls_of),
        "open_pull": call(andon.open_pull),
        "latest_pull": call(andon.latest_pull),
    }


TABLE_OF = {
    "current_votes": "vote",
    "current_vote": "vote",
    "vote_history": "vote",
    "votes_of": "vote",
    "current_dissent": "vote",
    "reviews_of": "review",
    "open_review": "review",
    "events_of": "decision_event",
    "andon_pulls_of": "andon_pull",
    "open_pull": "andon_pull",
    "latest_pull": "andon_pull",
}


@pytest.mark.parametrize("name", sorted(TABLE_OF))
def test_decision_lookups_search_by_decision(
    engine: Engine, rows: dict[str, int], name: str
) -> None:
    [(statement, plan)] = plans(engine, _decision_lookups(rows["decision"])[name])
    assert scoped(plan, TABLE_OF[name], "decision_id"), (name, plan)


def test_timer_lookups_search_by_reference(engine: Engine, rows: dict[str, int]) -> None:
    d = rows["decision"]

    def run(s: Session) -> None:
        timers.add_timer(
            session=s, team_id=TEAM, kind="show_votes", ref_id=d, due_at=START, now=START
        )
        timers.pending_timers(session=s, team_id=TEAM, kind="show_votes", ref_id=d)
        timers.cancel_timers(session=s, team_id=TEAM, kind="show_votes", ref_id=d)

    found = plans(engine, run)
    assert len(found) == 2, found
    for _statement, plan in found:
        assert scoped(plan, "timer", "kind=\\? AND ref_id=\\? AND status"), plan


def test_narrative_lookups_search_by_narrative(engine: Engine, rows: dict[str, int]) -> None:
    n, r = rows["narrative"], rows["round"]
    lookups: dict[str, tuple[str, Callable[[Session], Any]]] = {
        "question_count": (
            "question",
            lambda s: decision_log.question_count(session=s, team_id=TEAM, narrative_id=n),
        ),
        "questions_of": (
            "question",
            lambda s: meetings.questions_of(session=s, team_id=TEAM, narrative_id=n),
        ),
        "readers": (
            "narrative_reader",
            lambda s: meetings.readers(session=s, team_id=TEAM, narrative_id=n),
        ),
        "list_answers": (
            "reflection_answer",
            lambda s: reflections.list_answers(session=s, team_id=TEAM, round_id=r),
        ),
    }
    for name, (table, run) in lookups.items():
        [(_statement, plan)] = plans(engine, run)
        column = "round_id" if table == "reflection_answer" else "narrative_id"
        assert scoped(plan, table, column), (name, plan)


def test_digest_counts_only_this_narratives_upvotes(engine: Engine, rows: dict[str, int]) -> None:
    n = rows["narrative"]
    found = plans(
        engine, lambda s: meetings.digest_questions(session=s, team_id=TEAM, narrative_id=n)
    )
    [(_statement, plan)] = found
    assert scoped(plan, "question", "narrative_id"), plan
    # The 👍 are looked up by question (the primary key), not grouped for the whole workspace.
    assert re.search(r"SEARCH question_upvote USING \w+ ?\w* INDEX \w+ \(question_id=\?", plan), (
        plan
    )
    assert "AUTOMATIC" not in plan and "SCAN" not in plan and "MATERIALIZE" not in plan, plan


def test_next_number_and_lookup_by_number_use_the_unique_key(
    engine: Engine, rows: dict[str, int]
) -> None:
    found = plans(
        engine,
        lambda s: (
            decisions.get_decision_by_number(session=s, team_id=TEAM, number=1),
            decisions.insert_decision(
                session=s,
                team_id=TEAM,
                decision=Decision(
                    team_id=TEAM,
                    number=0,
                    owner_id="U0OWNER",
                    proposed_by="U0OWNER",
                    proposal="x",
                    review_on=START + timedelta(days=1),
                    created_at=START,
                ),
            ),
        ),
    )
    selects = [plan for statement, plan in found if statement.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, found
    for plan in selects:
        assert "sqlite_autoindex_decision_1 (team_id=?" in plan, plan
