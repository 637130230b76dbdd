"""Migrations: the schema they build is the one the tables describe, and upgrades keep data."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401 - registers the tables
from storage.db import make_engine, migrate, session_scope
from storage.models import Timer
from storage.search import include_name


def test_migrations_match_the_models(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    migrate(engine)
    with engine.connect() as conn:
        # The search index's tables are the migration's own (kept by triggers, not models).
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
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
