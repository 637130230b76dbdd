"""Decision log queries on SQLite and PostgreSQL: filters, search, pages, metrics, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from storage import decision_log as q
from storage import export_rows
from storage.db import make_engine, migrate, session_scope
from storage.decision_log import LogQuery
from storage.models import Narrative, NarrativeReader, Question, Review
from tests.log_helpers import START, TEAM, add_decision, add_vote


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    engine = make_engine(any_db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _texts(engine: Engine, query: LogQuery, offset: int = 0, limit: int = 50) -> list[str]:
    with session_scope(engine) as session:
        rows = q.list_decisions(
            session=session, team_id=TEAM, query=query, offset=offset, limit=limit
        )
        return [d.proposal for d in rows]


def test_filters_search_and_pages(db: Engine) -> None:
    for i in range(25):
        add_decision(db, text=f"decision {i}", created_at=START + timedelta(hours=i))
    pricing = add_decision(
        db,
        text="New 100% pricing_model",
        channel_id="C0SALES",
        owner_id="U0BEN",
        created_at=START + timedelta(days=2),
    )
    add_vote(db, pricing, "U0DAN", "disagree", "Customers in Europe will churn")
    add_decision(
        db,
        text="halted one",
        status="halted",
        created_at=START + timedelta(days=3),
        review_in=timedelta(days=1),
    )
    add_decision(db, text="a poll", status="voting", created_at=START + timedelta(days=4))
    add_decision(
        db, team_id="T0OTHER", text="New pricing elsewhere", created_at=START + timedelta(days=5)
    )

    newest = _texts(db, LogQuery(), limit=3)
    assert newest == ["halted one", "New 100% pricing_model", "decision 24"]
    page2 = _texts(db, LogQuery(), offset=10, limit=10)
    assert page2[0] == "decision 16" and len(page2) == 10
    assert _texts(db, LogQuery(channel_id="C0SALES")) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(owner_id="U0BEN")) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(statuses=("halted",))) == ["halted one"]
    assert _texts(db, LogQuery(words=("PRICING",))) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(words=("europe", "churn"))) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(words=("100%",))) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(words=("%",))) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(words=("g_m",))) == ["New 100% pricing_model"]
    assert _texts(db, LogQuery(words=("pricing", "nothing"))) == []
    assert _texts(db, LogQuery(hidden_channels=frozenset({"C0GENERAL"}))) == [
        "New 100% pricing_model"
    ]
    due = _texts(db, LogQuery(due_by=START + timedelta(days=5)))
    assert due == ["halted one"]
    with session_scope(db) as session:
        assert q.count_decisions(session=session, team_id=TEAM, query=LogQuery()) == 27
        # A capped count stops at cap + 1 ("more than cap") and is exact below the cap.
        assert q.count_decisions(session=session, team_id=TEAM, query=LogQuery(), cap=10) == 11
        assert q.count_decisions(session=session, team_id=TEAM, query=LogQuery(), cap=27) == 27
        assert q.dissent_counts(
            session=session, team_id=TEAM, decision_ids=[int(pricing.id or 0)]
        ) == {int(pricing.id or 0): 1}
        assert (
            q.dissent_counts(
                session=session, team_id="T0OTHER", decision_ids=[int(pricing.id or 0)]
            )
            == {}
        )
        assert sorted(q.decision_channels(session=session, team_id=TEAM)) == [
            "C0GENERAL",
            "C0SALES",
        ]
        batches = list(
            export_rows.decision_batches(session=session, team_id=TEAM, query=LogQuery(), batch=10)
        )
        assert [len(b) for b in batches] == [10, 10, 7]


def test_metrics(db: Engine) -> None:
    a = add_decision(db, confidence=40)
    b = add_decision(db, confidence=60, status="reversed")
    add_decision(db, confidence=90)
    add_decision(db, confidence=80, created_at=START - timedelta(days=60))  # before the period
    add_decision(db, team_id="T0OTHER", confidence=10)
    add_vote(db, a, "U0DAN", "disagree", "no")
    add_vote(db, b, "U0DAN", "disagree", "old", current=False)
    with session_scope(db) as session:
        session.add(
            Review(
                team_id=TEAM,
                decision_id=int(a.id or 0),
                due_at=START,
                sent_at=START,
                answered_at=START,
                outcome="keep",
                actual_confidence=20,
            )
        )
        session.add(
            Review(
                team_id=TEAM,
                decision_id=int(b.id or 0),
                due_at=START,
                sent_at=START,
                reminded_at=START,
                answered_at=START,
                outcome="reverse",
                actual_confidence=40,
            )
        )
        session.add(
            Review(team_id=TEAM, decision_id=int(b.id or 0), due_at=START, sent_at=START)
        )  # still in its 3 days
        narrative = Narrative(
            team_id=TEAM,
            channel_id="C0GENERAL",
            owner_id="U0OWNER",
            title="N",
            reading_seconds=60,
            started_at=START,
            ends_at=START,
        )
        session.add(narrative)
        session.flush()
        for user, done in (("U1", True), ("U2", True), ("U3", False), ("U4", True)):
            session.add(
                NarrativeReader(
                    team_id=TEAM,
                    narrative_id=int(narrative.id or 0),
                    user_id=user,
                    expected=True,
                    done_at=START if done else None,
                )
            )
        for i in range(3):
            session.add(
                Question(
                    team_id=TEAM,
                    narrative_id=int(narrative.id or 0),
                    author_id="U1",
                    text="?",
                    asked_at=START,
                    message_ts=str(i),
                )
            )
    with session_scope(db) as session:
        m = q.log_metrics(session=session, team_id=TEAM, since=START - timedelta(days=1))
    assert m.decisions == 3
    assert m.median_confidence == 60
    assert m.with_dissent == 1
    assert m.reversed_or_amended == 1
    assert (m.reviews_due, m.reviews_on_time) == (2, 1)
    assert (m.readers_expected, m.readers_done) == (4, 3)
    assert (m.narratives, m.questions) == (1, 3)
    [calibration] = m.calibration
    assert calibration.owner_id == "U0OWNER" and calibration.reviews == 2
    assert calibration.recorded_confidence == 50 and calibration.actual_confidence == 30
    with session_scope(db) as session:
        empty = q.log_metrics(session=session, team_id="T0NONE", since=START)
    assert empty.decisions == 0 and empty.median_confidence is None


def test_questions_and_answers_are_read_in_pages_without_losing_rows(db: Engine) -> None:
    from storage.models import ReflectionAnswer, ReflectionRound

    with session_scope(db) as session:
        for team in (TEAM, "T0OTHER"):
            narrative = Narrative(
                team_id=team,
                channel_id="C0GENERAL",
                owner_id="U0OWNER",
                title=f"N {team}",
                reading_seconds=60,
                started_at=START,
                ends_at=START,
            )
            round_ = ReflectionRound(
                team_id=team,
                channel_id="C0GENERAL",
                questions='["Q"]',
                closes_at=START,
                created_at=START,
            )
            session.add_all([narrative, round_])
            session.flush()
            for i in range(5):
                session.add(
                    Question(
                        team_id=team,
                        narrative_id=int(narrative.id or 0),
                        author_id="U0ANA",
                        text=f"{team} q{i}",
                        asked_at=START,
                    )
                )
                session.add(
                    ReflectionAnswer(
                        team_id=team,
                        round_id=int(round_.id or 0),
                        user_id="U0ANA",
                        text=f"{team} a{i}",
                        answered_at=START,
                    )
                )
    common = {"channel_id": None, "since": None, "hidden_channels": frozenset(), "batch": 2}
    with session_scope(db) as session:
        pages = list(q.iter_questions(session=session, team_id=TEAM, **common))
        assert [len(p) for p in pages] == [2, 2, 1]
        assert [row[0].text for p in pages for row in p] == [f"{TEAM} q{i}" for i in range(5)]
        answers = list(q.iter_reflection_answers(session=session, team_id=TEAM, **common))
        assert [row[0].text for p in answers for row in p] == [f"{TEAM} a{i}" for i in range(5)]
        hidden = {**common, "hidden_channels": frozenset({"C0GENERAL"})}
        assert list(q.iter_questions(session=session, team_id=TEAM, **hidden)) == []
