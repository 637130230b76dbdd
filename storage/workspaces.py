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
