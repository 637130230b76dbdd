"""Reflection rows on SQLite and PostgreSQL: lookups by workspace, closing exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import reflections as rows
from storage.db import make_engine, migrate, session_scope
from storage.models import ReflectionRound, ReflectionSchedule

AT = datetime(2026, 12, 7, 8, 0, 0, 123456, tzinfo=UTC)


def test_rounds_are_found_per_workspace_and_close_once(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            schedule = rows.save_schedule(
                session=session,
                schedule=ReflectionSchedule(
                    team_id="T1",
                    channel_id="C1",
                    rule="weekly 1 monday 09:00",
                    tz="Europe/Berlin",
                    created_by="U1",
                    created_at=AT,
                ),
            )
            round_ = rows.insert_round(
                session=session,
                team_id="T1",
                round_=ReflectionRound(
                    team_id="T1",
                    channel_id="C1",
                    schedule_id=schedule.id,
                    scheduled_for=AT,
                    questions='["Q?"]',
                    message_ts="1.000100",
                    closes_at=AT,
                    created_at=AT,
                ),
            )
            schedule_id, round_id = int(schedule.id or 0), int(round_.id or 0)
        with session_scope(engine) as session:
            before = datetime(2026, 12, 7, tzinfo=UTC)
            assert (
                rows.unposted_round(
                    session=session, team_id="T1", schedule_id=schedule_id, now=before
                )
                is None
            )  # it has its message
            found = rows.get_round(session=session, team_id="T1", round_id=round_id)
            assert found is not None and found.scheduled_for == AT
            found.message_ts = None
            unposted = rows.unposted_round(
                session=session, team_id="T1", schedule_id=schedule_id, now=before
            )
            assert unposted is not None and unposted.id == round_id
            assert (
                rows.unposted_round(
                    session=session, team_id="T2", schedule_id=schedule_id, now=before
                )
                is None
            )
            found.message_ts = "1.000100"
            assert (
                rows.get_round_by_message(
                    session=session, team_id="T2", channel_id="C1", message_ts="1.000100"
                )
                is None
            )
            assert rows.get_round(session=session, team_id="T2", round_id=round_id) is None
            assert rows.latest_round(session=session, team_id="T1", channel_id="C1") is not None
            assert not rows.close_round_once(
                session=session, team_id="T2", round_id=round_id, now=AT
            )
            assert rows.close_round_once(session=session, team_id="T1", round_id=round_id, now=AT)
            assert not rows.close_round_once(
                session=session, team_id="T1", round_id=round_id, now=AT
            )
    finally:
        engine.dispose()
