"""Workspaces and the platform each lives on (keyword-only queries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import Workspace


def record_workspace(*, session: Session, team_id: str, platform: str, now: datetime) -> str:
    """Note that `team_id` lives on `platform`, unless it is known already. Returns the platform
    stored for it (the first one recorded: a workspace never moves)."""
    known = session.get(Workspace, team_id)
    if known is not None:
        return known.platform
    try:
        with session.begin_nested():
            session.add(Workspace(team_id=team_id, platform=platform, first_seen_at=now))
            session.flush()
    except IntegrityError:  # another process recorded it just now
        return platform_of(session=session, team_id=team_id) or platform
    return platform


def platform_of(*, session: Session, team_id: str) -> str | None:
    """The platform `team_id` lives on; None when the workspace was never seen."""
    known = session.get(Workspace, team_id)
    return known.platform if known is not None else None


def mark_uninstalled(*, session: Session, team_id: str, now: datetime) -> None:
    """Note when the app was uninstalled from `team_id` (its retention period starts)."""
    known = session.get(Workspace, team_id)
    if known is not None:
        known.uninstalled_at = now
        session.add(known)


def purge_workspace(*, session: Session, team_id: str) -> dict[str, int]:
    """Delete every row of `team_id` (children before parents); rows deleted per table."""
    from sqlalchemy import delete, text
    from sqlmodel import SQLModel

    from storage.slack_oauth import SLACK_INSTALLATION_TABLES

    counts: dict[str, int] = {}
    for table in reversed(SQLModel.metadata.sorted_tables):
        if "team_id" in table.c:
            result = session.execute(delete(table).where(table.c.team_id == team_id))
            counts[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    for name in SLACK_INSTALLATION_TABLES:  # slack_sdk's, not models (names are constants)
        result = session.execute(
            text(f"DELETE FROM {name} WHERE team_id = :team_id"), {"team_id": team_id}
        )
        counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


def expired_workspaces(*, session: Session, uninstalled_before: datetime) -> list[str]:
    """Workspaces uninstalled before the given time (their retention period is over)."""
    from sqlmodel import col, select

    query = select(Workspace.team_id).where(col(Workspace.uninstalled_at) < uninstalled_before)
    return list(session.exec(query))


def mark_installed(*, session: Session, team_id: str) -> None:
    """`team_id` installed the app (again): no retention period runs for it."""
    known = session.get(Workspace, team_id)
    if known is not None and known.uninstalled_at is not None:
        known.uninstalled_at = None
        session.add(known)
