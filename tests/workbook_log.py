"""A small decision log whose summary figures are worked out by hand (in
`tests/bot/test_workbook.py`), and its export as a leader would get it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy.engine import Engine

from bot.export import write_workbook
from storage.db import session_scope
from storage.decision_log import LogQuery
from storage.models import (
    AndonPull,
    Narrative,
    NarrativeReader,
    Question,
    ReflectionAnswer,
    ReflectionRound,
    Review,
)
from tests.log_helpers import START, TEAM, add_decision, add_vote

NAMES = {"U0ALICE": "Alice Archer", "U0BOB": "Bob Baker", "U1": "Uma", "U2": "Ugo", "U4": "Ulla"}
CHANNELS = {"C0GENERAL": "general"}
NOW = datetime(2027, 2, 1, 12, 0)


def _review(engine: Engine, decision: object, **fields: object) -> None:
    with session_scope(engine) as session:
        session.add(Review(team_id=TEAM, decision_id=int(decision.id or 0), **fields))  # type: ignore[attr-defined]


def hand_computed_log(engine: Engine) -> None:
    """Four decisions, worked out by hand in the comments of `test_summary_figures`."""
    day = timedelta(days=1)
    d1 = add_decision(
        engine,
        text="Move planning to Tuesdays",
        owner_id="U0ALICE",
        confidence=40,
        status="reversed",
        decided_at=START + 2 * day,
        permalink="https://narrative-test.slack.com/archives/C0GENERAL/p1",
    )
    d2 = add_decision(
        engine,
        text="Hire a second designer",
        owner_id="U0ALICE",
        confidence=60,
        created_at=START + 9 * day,
        decided_at=START + 10 * day,
    )
    d3 = add_decision(
        engine,
        text="Drop the legacy API",
        owner_id="U0BOB",
        confidence=80,
        status="amended",
        created_at=START + 35 * day,
        decided_at=START + 39 * day,
    )
    d4 = add_decision(
        engine,
        text="Ship the beta",
        owner_id="U0BOB",
        confidence=95,
        created_at=START + 36 * day,
        decided_at=START + 36 * day + timedelta(hours=12),
    )
    add_vote(engine, d1, "U1", "disagree", "Too early")
    add_vote(engine, d1, "U2", "disagree_commit", "Fine")
    add_vote(engine, d1, "U3", "agree")
    add_vote(engine, d2, "U1", "agree")
    add_vote(engine, d3, "U4", "disagree", "Customers still use it")
    due = START + 20 * day
    _review(engine, d1, due_at=due, sent_at=due, answered_at=due, outcome="reverse")
    _review(
        engine,
        d2,
        due_at=due,
        sent_at=due,
        reminded_at=due + 3 * day,
        answered_at=due + 4 * day,
        outcome="keep",
    )
    due3 = START + 50 * day
    _review(engine, d3, due_at=due3, sent_at=due3, answered_at=due3, outcome="amend")
    _review(
        engine, d3, due_at=due3 + 10 * day, sent_at=due3 + 10 * day, reminded_at=due3 + 13 * day
    )
    with session_scope(engine) as session:
        session.add(
            AndonPull(
                team_id=TEAM,
                decision_id=int(d4.id or 0),
                user_id="U4",
                reason="Risky",
                pulled_at=START,
            )
        )
        narrative = Narrative(
            team_id=TEAM,
            channel_id="C0GENERAL",
            owner_id="U0ALICE",
            title="Q3 pricing",
            reading_seconds=600,
            started_at=START,
            ends_at=START + timedelta(minutes=10),
        )
        session.add(narrative)
        session.flush()
        for i, user in enumerate(("U1", "U2", "U3", "U4")):
            session.add(
                NarrativeReader(
                    team_id=TEAM,
                    narrative_id=int(narrative.id or 0),
                    user_id=user,
                    expected=True,
                    done_at=START if i < 3 else None,
                )
            )
        for i in range(2):
            session.add(
                Question(
                    team_id=TEAM,
                    narrative_id=int(narrative.id or 0),
                    author_id="U1",
                    text=f"Question {i}",
                    asked_at=START,
                    message_ts=f"1.{i}",
                )
            )
        round_ = ReflectionRound(
            team_id=TEAM,
            channel_id="C0GENERAL",
            questions='["What went well?", "What went badly?"]',
            posted_at=START,
            closes_at=START + 2 * day,
            created_at=START,
            member_count=5,
        )
        session.add(round_)
        session.flush()
        for user, index in (("U1", 0), ("U1", 1), ("U2", 0)):
            session.add(
                ReflectionAnswer(
                    team_id=TEAM,
                    round_id=int(round_.id or 0),
                    user_id=user,
                    question_index=index,
                    text="An answer",
                    answered_at=START,
                )
            )


def export_log(engine: Engine, out: Path, **kwargs: object) -> None:
    with freeze_time(NOW):
        write_workbook(
            engine=engine,
            team_id=TEAM,
            query=LogQuery(),
            out=out,
            tz="UTC",
            names=NAMES,
            channel_names=CHANNELS,
            **kwargs,  # type: ignore[arg-type]
        )
