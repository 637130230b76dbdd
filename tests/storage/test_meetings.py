"""Narrative queries on SQLite and PostgreSQL: one end, one count per reader, one row per reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import meetings as rows
from storage.db import make_engine, migrate, session_scope
from storage.models import Narrative, Question

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_transitions_happen_once_per_workspace(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            narrative = rows.insert_narrative(
                session=session,
                team_id="T1",
                narrative=Narrative(
                    team_id="",
                    channel_id="C1",
                    owner_id="U0",
                    title="Q3",
                    reading_seconds=60,
                    started_at=T0,
                    ends_at=T0 + timedelta(minutes=1),
                    message_ts="1.1",
                ),
            )
            nid = int(narrative.id or 0)
            rows.add_expected_readers(
                session=session, team_id="T1", narrative_id=nid, user_ids=["U1", "U1"]
            )
        with session_scope(engine) as session:
            assert rows.mark_done(
                session=session, team_id="T1", narrative_id=nid, user_id="U1", now=T0
            )
            assert not rows.mark_done(
                session=session, team_id="T1", narrative_id=nid, user_id="U1", now=T0
            )
            assert rows.mark_done(
                session=session, team_id="T1", narrative_id=nid, user_id="U2", now=T0
            )
            assert not rows.mark_done(
                session=session, team_id="T1", narrative_id=nid, user_id="U2", now=T0
            )
            assert len(rows.readers(session=session, team_id="T1", narrative_id=nid)) == 2
            assert rows.readers(session=session, team_id="T2", narrative_id=nid) == []
        with session_scope(engine) as session:
            first = Question(
                team_id="",
                narrative_id=nid,
                author_id="U1",
                text="?",
                message_ts="2.1",
                asked_at=T0,
            )
            again = Question(
                team_id="",
                narrative_id=nid,
                author_id="U1",
                text="?",
                message_ts="2.1",
                asked_at=T0,
            )
            assert rows.add_question(session=session, team_id="T1", question=first) is not None
            assert rows.add_question(session=session, team_id="T1", question=again) is None
            qid = int(first.id or 0)
            assert rows.add_upvote(session=session, team_id="T1", question_id=qid, user_id="U2")
            assert not rows.add_upvote(session=session, team_id="T1", question_id=qid, user_id="U2")
            assert (
                rows.find_thread_question(
                    session=session, team_id="T2", channel_id="C1", message_ts="2.1"
                )
                is None
            )
        with session_scope(engine) as session:
            assert [
                n
                for _q, n in rows.digest_questions(session=session, team_id="T1", narrative_id=nid)
            ] == [1]
            assert not rows.end_reading(
                session=session, team_id="T2", narrative_id=nid, now=T0, reason="owner"
            )
            assert rows.end_reading(
                session=session, team_id="T1", narrative_id=nid, now=T0, reason="owner"
            )
            assert not rows.end_reading(
                session=session, team_id="T1", narrative_id=nid, now=T0, reason="time"
            )
            assert rows.claim_digest(session=session, team_id="T1", narrative_id=nid, now=T0)
            assert not rows.claim_digest(session=session, team_id="T1", narrative_id=nid, now=T0)
        with session_scope(engine) as session:
            assert rows.open_narratives(session=session, team_id="T1", channel_id="C1") == []
            stored = rows.get_narrative(session=session, team_id="T1", narrative_id=nid)
            assert stored is not None and stored.end_reason == "owner"
    finally:
        engine.dispose()
