"""Migrations: the schema they build is the one the tables describe, and upgrades keep data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401 - registers the tables
from storage.db import alembic_config, compare_type, make_engine, migrate, read_scope, session_scope
from storage.models import KnownName, Narrative, Question, Timer, Workspace
from storage.slack_oauth import include_name


def test_migrations_match_the_models(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    with engine.connect() as conn:
        # As the migrations compare (SQLite enforces no VARCHAR length, see compare_type); the
        # search index's tables are the migration's own (kept by triggers, not models).
        context = MigrationContext.configure(
            conn, opts={"compare_type": compare_type, "include_name": include_name}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_migrating_again_keeps_rows(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    migrate(engine)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        session.add(Timer(team_id="T1", kind="k", ref_id=1, due_at=now, created_at=now))
    engine.dispose()
    engine = make_engine(sqlite_url)
    migrate(engine)
    with session_scope(engine) as session:
        rows = list(session.exec(select(Timer)))
    engine.dispose()
    assert [(r.team_id, r.due_at) for r in rows] == [("T1", now)]


# --- 0005: platform ids ---------------------------------------------------------------------

TENANT = "8f3c2a61-4b1e-4d7a-9c55-2e0f6b7d1a93"  # a Teams tenant id (36 characters)
TEAMS_USER = "29:1" + "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678xyz"
TEAMS_THREAD = (
    "19:" + "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6" * 2 + "@thread.tacv2;messageid=1712345678901"
)
TEAMS_THREAD = TEAMS_THREAD + "0" * (120 - len(TEAMS_THREAD))


def _engine_at_0004(url: str) -> Engine:
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0004_known_names")
    return engine


def test_platform_ids_carry_existing_workspaces_over_as_slack(any_db_url: str) -> None:
    assert (len(TENANT), len(TEAMS_USER), len(TEAMS_THREAD)) == (36, 80, 120)
    assert TEAMS_THREAD.endswith("0") and ";messageid=" in TEAMS_THREAD
    engine = _engine_at_0004(any_db_url)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with session_scope(engine) as session:
        # Written with SQL of the 0004 schema: the models already describe the next one.
        session.execute(
            text(
                "INSERT INTO timer (team_id, kind, ref_id, due_at, status, attempts, created_at)"
                " VALUES ('T0ONE', 'reading_end', 1, :now, 'pending', 0, :now)"
            ),
            {"now": now.replace(tzinfo=None)},
        )
        session.execute(
            text(
                "INSERT INTO known_name (team_id, kind, ref_id, name, source, seen_at)"
                " VALUES ('T0TWO', 'person', 'U0ANA', 'ana', 'profile', :now),"
                " ('T0ONE', 'channel', 'C0GEN', 'general', 'handle', :now)"
            ),
            {"now": now.replace(tzinfo=None)},
        )
        # A delivery alone (or one that named no workspace) makes no workspace.
        session.execute(
            text(
                "INSERT INTO processed_event (team_id, event_id, received_at)"
                " VALUES ('T0DELIVERY', 'Ev1', :now), ('', 'request:v0=1', :now)"
            ),
            {"now": now.replace(tzinfo=None)},
        )
    if engine.dialect.name == "postgresql":
        # What the migration is for: the old schema refuses a Teams id.
        with pytest.raises(DataError), session_scope(engine) as session:
            session.add(KnownName(team_id=TENANT, kind="person", ref_id="x", name="x", seen_at=now))
    migrate(engine)
    with read_scope(engine) as session:
        stored = {(w.team_id, w.platform) for w in session.exec(select(Workspace))}
        timers = [(t.team_id, t.kind, t.due_at) for t in session.exec(select(Timer))]
        names = {(n.team_id, n.ref_id, n.name) for n in session.exec(select(KnownName))}
    assert stored == {("T0ONE", "slack"), ("T0TWO", "slack")}
    assert timers == [("T0ONE", "reading_end", now)]
    assert names == {("T0TWO", "U0ANA", "ana"), ("T0ONE", "C0GEN", "general")}

    # Teams' ids fit, and come back as they went in.
    with session_scope(engine) as session:
        session.add(Workspace(team_id=TENANT, platform="msteams", first_seen_at=now))
        narrative = Narrative(
            team_id=TENANT,
            channel_id=TEAMS_THREAD,
            owner_id=TEAMS_USER,
            title="Q3 plan",
            reading_seconds=600,
            started_at=now,
            ends_at=now,
            message_ts=TEAMS_THREAD,
        )
        session.add(narrative)
        session.flush()
        session.add(
            Question(
                team_id=TENANT,
                narrative_id=int(narrative.id or 0),
                author_id=TEAMS_USER,
                text="Why now?",
                message_ts=TEAMS_THREAD,
                asked_at=now,
            )
        )
        session.add(
            KnownName(team_id=TENANT, kind="person", ref_id=TEAMS_USER, name="Ana", seen_at=now)
        )
    with read_scope(engine) as session:
        [back] = session.exec(select(Narrative).where(Narrative.team_id == TENANT))
        [asked] = session.exec(select(Question).where(Question.team_id == TENANT))
        [name] = session.exec(select(KnownName).where(KnownName.team_id == TENANT))
        platform = session.get(Workspace, TENANT)
    assert (back.channel_id, back.owner_id, back.message_ts) == (
        TEAMS_THREAD,
        TEAMS_USER,
        TEAMS_THREAD,
    )
    assert (asked.author_id, asked.message_ts, name.ref_id) == (
        TEAMS_USER,
        TEAMS_THREAD,
        TEAMS_USER,
    )
    assert platform is not None and platform.platform == "msteams"
    engine.dispose()


def test_platform_ids_downgrade_and_upgrade_again(pg_url: str) -> None:
    """0005 goes back cleanly on PostgreSQL (the columns narrow again), and forward again."""
    engine = make_engine(pg_url)
    migrate(engine)
    command.downgrade(alembic_config(engine), "0004_known_names")
    with engine.connect() as conn:
        assert not inspect(conn).has_table("workspace")
        widths = {
            c["name"]: getattr(c["type"], "length", None)
            for c in inspect(conn).get_columns("narrative")
        }
    assert widths["channel_id"] == 32
    migrate(engine)
    with engine.connect() as conn:
        widths = {
            c["name"]: getattr(c["type"], "length", None)
            for c in inspect(conn).get_columns("narrative")
        }
    assert widths["channel_id"] == 255
    engine.dispose()
