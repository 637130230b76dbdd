"""Platform references (keyword-only queries, by workspace)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import PlatformReference


def save_reference(
    *, session: Session, team_id: str, kind: str, ref_id: str, data: str, now: datetime
) -> None:
    """Store `data` for (team_id, kind, ref_id), replacing what was there."""
    found = session.get(PlatformReference, (team_id, kind, ref_id))
    if found is not None:
        found.data, found.updated_at = data, now
        return
    try:
        with session.begin_nested():
            session.add(
                PlatformReference(
                    team_id=team_id, kind=kind, ref_id=ref_id, data=data, updated_at=now
                )
            )
            session.flush()
    except IntegrityError:  # another process stored it just now: ours is as fresh
        found = session.get(PlatformReference, (team_id, kind, ref_id))
        if found is not None:
            found.data, found.updated_at = data, now


def load_reference(*, session: Session, team_id: str, kind: str, ref_id: str) -> str | None:
    found = session.get(PlatformReference, (team_id, kind, ref_id))
    return found.data if found is not None else None
