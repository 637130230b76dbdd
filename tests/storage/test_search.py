"""Searching the decision log through the full-text index, on SQLite (FTS5) and PostgreSQL
(pg_trgm): every word must match, prefixes and parts of words match, the best match comes
first, the index follows every write of the text, and what a person types is never SQL nor FTS
syntax."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage import decision_log as q
from storage.db import alembic_config, make_engine, migrate, session_scope
from storage.decision_log import LogQuery
from storage.models import Decision, Vote
from tests.log_helpers import START, TEAM, add_decision, add_vote
from tests.storage.test_lookup_plans import plans


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def found(engine: Engine, *words: str, team_id: str = TEAM) -> list[str]:
    with session_scope(engine) as session:
        rows = q.list_decisions(
            session=session, team_id=team_id, query=LogQuery(words=words), offset=0, limit=50
        )
        count = q.count_decisions(session=session, team_id=team_id, query=LogQuery(words=words))
    assert count == len(rows)
    return sorted(d.proposal for d in rows)


TEXTS = (
    'Ship the "beta" AND the docs',
    "Use key:value pairs in NEAR(the config)",
    "Cut costs -10% by March*",
    "Plain text only, don't worry",
    "Rename snake_case fields",
)


def test_operators_quotes_and_wildcards_are_literal_words(db: Engine) -> None:
    for i, words in enumerate(TEXTS):
        add_decision(db, text=words, created_at=START + timedelta(hours=i))
    beta, near, costs, plain, snake = TEXTS
    cases: dict[tuple[str, ...], list[str]] = {
        ('"beta"',): [beta],
        ("AND",): [beta],
        ("and", "docs"): [beta],
        ("NEAR(the",): [near],
        ("NEAR",): [near],
        ("NEAR(beta",): [],
        ("key:value",): [near],
        ("value:key",): [],
        ("-10%",): [costs],
        ("march*",): [costs],
        ("*",): [costs],
        ('"',): [beta],
        ("%",): [costs],
        ("10%", "-"): [costs],
        ("don't",): [plain],
        ("e_c",): [snake],
        ("_",): [snake],
        ("e%c",): [],
        ("beta", "-docs"): [],
        ("beta", "OR"): [],
        ('beta" OR "docs',): [],
        ("') OR 1=1 --",): [],
        ('"*"',): [],
        ("docs*",): [],
    }
    for words, expected in cases.items():
        assert found(db, *words) == sorted(expected), words


def test_every_word_must_match_across_proposal_final_text_and_reasons(db: Engine) -> None:
    pricing = add_decision(db, text="New pricing for Europe")
    add_vote(db, pricing, "U0DAN", "disagree", "Customers will churn")
    add_decision(db, text="Pricing in Asia")
    add_decision(db, team_id="T0OTHER", text="New pricing for Europe, churn expected")
    assert found(db, "PRICING") == ["New pricing for Europe", "Pricing in Asia"]
    assert found(db, "pric") == ["New pricing for Europe", "Pricing in Asia"]  # a prefix
    assert found(db, "ricin") == ["New pricing for Europe", "Pricing in Asia"]  # a part
    assert found(db, "europe", "churn") == ["New pricing for Europe"]  # one in a reason
    assert found(db, "europe", "asia") == []
    assert found(db, "nothing") == []
    assert found(db, "churn", team_id="T0OTHER") == ["New pricing for Europe, churn expected"]


def test_a_new_wording_is_found_by_its_new_words_only(db: Engine) -> None:
    decision = add_decision(db, text="We hire two engineers")
    add_decision(db, text="Unrelated")
    assert found(db, "engineers") == ["We hire two engineers"]
    with session_scope(db) as session:
        row = session.get(Decision, decision.id)
        assert row is not None
        row.proposal = "We contract an agency"
        row.final_text = "We contract an agency for design"
        session.add(row)
    assert found(db, "engineers") == []
    assert found(db, "agency", "design") == ["We contract an agency"]
    # A vote's reason, added, changed and removed.
    vote = add_vote(db, decision, "U0DAN", "disagree", "Budget is frozen")
    assert found(db, "frozen") == ["We contract an agency"]
    with session_scope(db) as session:
        row_vote = session.get(Vote, vote.id)
        assert row_vote is not None
        row_vote.reason = "Hiring freeze"
        session.add(row_vote)
    assert found(db, "frozen") == [] and found(db, "freeze") == ["We contract an agency"]
    with session_scope(db) as session:
        for v in session.exec(select(Vote)):
            session.delete(v)
    assert found(db, "freeze") == []
    # A decision removed (a poll that could not be posted) leaves nothing to find.
    with session_scope(db) as session:
        row = session.get(Decision, decision.id)
        session.delete(row)
    assert found(db, "agency") == []


def test_the_best_match_comes_first(db: Engine) -> None:
    add_decision(db, text="Pricing", created_at=START)
    add_decision(
        db,
        text="A long note about many things: hiring, travel, offices, and pricing at the end",
        created_at=START + timedelta(days=1),
    )
    add_decision(db, text="Travel policy", created_at=START + timedelta(days=2))
    with session_scope(db) as session:
        rows = q.list_decisions(
            session=session, team_id=TEAM, query=LogQuery(words=("pricing",)), offset=0, limit=5
        )
        newest = q.list_decisions(
            session=session, team_id=TEAM, query=LogQuery(), offset=0, limit=5
        )
    # Newest first without words; with words the closer match first although it is older.
    assert [d.proposal for d in newest][0] == "Travel policy"
    assert [d.proposal for d in rows] == [
        "Pricing",
        "A long note about many things: hiring, travel, offices, and pricing at the end",
    ]


def test_the_migration_indexes_existing_decisions(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    command.upgrade(alembic_config(engine), "0004_known_names")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO decision (id, team_id, number, owner_id, proposed_by, proposal,"
                " final_text, confidence, door, review_on, anonymous, status, source, created_at)"
                " VALUES (1, :team, 1, 'U1', 'U1', 'Old proposal on budgets', 'Final budgets',"
                " 70, 'two-way', :at, false, 'active', 'poll', :at)"
            ),
            {"team": TEAM, "at": START.replace(tzinfo=None)},
        )
        conn.execute(
            text(
                "INSERT INTO vote (team_id, decision_id, user_id, choice, reason, cast_at,"
                " current) VALUES (:team, 1, 'U2', 'disagree', 'Vendors object', :at, true)"
            ),
            {"team": TEAM, "at": START.replace(tzinfo=None)},
        )
    migrate(engine)
    try:
        assert found(engine, "budgets", "vendors") == ["Old proposal on budgets"]
        assert found(engine, "nothing") == []
    finally:
        engine.dispose()


def test_sqlite_search_starts_from_the_index(engine: Engine) -> None:
    for i in range(3):
        add_decision(engine, text=f"decision {i} on pricing")
    words = LogQuery(words=("pricing", "on"))

    def run(session: object) -> None:
        q.list_decisions(session=session, team_id=TEAM, query=words, offset=0, limit=5)  # type: ignore[arg-type]
        q.count_decisions(session=session, team_id=TEAM, query=words, cap=100)  # type: ignore[arg-type]

    found_plans = [plan for _statement, plan in plans(engine, run)]
    assert len(found_plans) == 2, found_plans
    for plan in found_plans:
        assert "VIRTUAL TABLE INDEX" in plan, plan
        # Each match's decision by its key: never the workspace's decisions through an index.
        assert "SEARCH decision USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
        assert "ix_decision" not in plan and "SCAN decision " not in plan, plan


def test_tidying_the_index_keeps_what_it_finds(db: Engine) -> None:
    from storage.search import tidy

    for i in range(30):
        add_decision(db, text=f"decision {i} on topic{i % 3}")
    before = found(db, "topic1")
    with session_scope(db) as session:
        tidy(session=session)
    assert found(db, "topic1") == before and len(before) == 10
