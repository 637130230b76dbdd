"""Known names of people and channels, per workspace (keyword-only queries)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import ID_LENGTH, KnownName

PERSON = "person"
CHANNEL = "channel"
PROFILE = "profile"
HANDLE = "handle"
NAME_MAX = 255
ID_MAX = ID_LENGTH


def remember_names(
    *,
    session: Session,
    team_id: str,
    kind: str,
    names: Mapping[str, str],
    source: str,
    now: datetime,
) -> int:
    """Store `names` (id -> name); a handle never replaces a name from a profile. Returns how
    many rows changed."""
    wanted = {
        ref[:ID_MAX]: name[:NAME_MAX] for ref, name in names.items() if ref and name and name != ref
    }
    if not wanted:
        return 0
    stmt = select(KnownName).where(
        KnownName.team_id == team_id,
        KnownName.kind == kind,
        col(KnownName.ref_id).in_(sorted(wanted)),
    )
    existing = {row.ref_id: row for row in session.exec(stmt)}
    changed = 0
    for ref, name in wanted.items():
        row = existing.get(ref)
        if row is None:
            session.add(
                KnownName(
                    team_id=team_id, kind=kind, ref_id=ref, name=name, source=source, seen_at=now
                )
            )
        elif source == HANDLE and row.source == PROFILE:
            continue
        elif row.name != name or row.source != source:
            row.name, row.source, row.seen_at = name, source, now
            session.add(row)
        else:
            continue
        changed += 1
    return changed


def known_names(*, session: Session, team_id: str, kind: str) -> dict[str, str]:
    """Every known name of one kind in the workspace (id -> name)."""
    stmt = select(KnownName.ref_id, KnownName.name).where(
        KnownName.team_id == team_id, KnownName.kind == kind
    )
    return {str(ref): str(name) for ref, name in session.exec(stmt)}
