"""Helpers for decision log tests: a Core on a test database, decisions and votes made directly
(the poll code lives elsewhere)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.clock import SystemClock
from bot.core import Core
from bot.timers import TimerService
from storage.db import session_scope
from storage.decisions import insert_decision
from storage.models import Decision, Vote

TEAM = "T0TEST"
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_core(engine: Engine) -> Core:
    clock = SystemClock()
    return Core(engine=engine, clock=clock, timers=TimerService(engine=engine, clock=clock))


def add_decision(
    engine: Engine,
    *,
    team_id: str = TEAM,
    text: str = "We launch in March",
    channel_id: str | None = "C0GENERAL",
    owner_id: str = "U0OWNER",
    confidence: int = 70,
    status: str = "active",
    created_at: datetime = START,
    review_in: timedelta = timedelta(days=90),
    decided_at: datetime | None = None,
    **extra: object,
) -> Decision:
    with session_scope(engine) as session:
        return insert_decision(
            session=session,
            team_id=team_id,
            decision=Decision(
                team_id=team_id,
                number=0,
                channel_id=channel_id,
                owner_id=owner_id,
                proposed_by=owner_id,
                proposal=text,
                final_text=text,
                confidence=confidence,
                review_on=created_at + review_in,
                status=status,
                created_at=created_at,
                decided_at=decided_at or created_at,
                **extra,
            ),
        )


def add_vote(
    engine: Engine,
    decision: Decision,
    user_id: str,
    choice: str,
    reason: str | None = None,
    *,
    current: bool = True,
) -> Vote:
    with session_scope(engine) as session:
        vote = Vote(
            team_id=decision.team_id,
            decision_id=int(decision.id or 0),
            user_id=user_id,
            choice=choice,
            reason=reason,
            cast_at=decision.created_at,
            current=current,
        )
        session.add(vote)
        return vote
