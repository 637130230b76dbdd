"""Timer rows: due times kept in the database and claimed atomically before they run."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from storage.models import Timer


def add_timer(
    *, session: Session, team_id: str, kind: str, ref_id: int, due_at: datetime, now: datetime
) -> Timer:
    timer = Timer(team_id=team_id, kind=kind, ref_id=ref_id, due_at=due_at, created_at=now)
    session.add(timer)
    session.flush()
    return timer


def cancel_timers(*, session: Session, team_id: str, kind: str, ref_id: int) -> int:
    """Cancel the pending timers of one kind for one row; returns how many were cancelled."""
    result = session.execute(
        update(Timer)
        .where(Timer.team_id == team_id, Timer.kind == kind, Timer.ref_id == ref_id)
        .where(Timer.status == "pending")
        .values(status="cancelled")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def pending_timers(*, session: Session, team_id: str, kind: str, ref_id: int) -> list[Timer]:
    stmt = select(Timer).where(
        Timer.team_id == team_id,
        Timer.kind == kind,
        Timer.ref_id == ref_id,
        Timer.status == "pending",
    )
    return list(session.exec(stmt))


# The functions below serve the scheduler, which works for every workspace at once: they are
# the only queries that do not filter by team.


def due_timer_ids(*, session: Session, now: datetime, lease: timedelta, limit: int) -> list[int]:
    """Timers due by `now`: pending ones, and running ones whose claim has expired (a crash)."""
    stmt = (
        select(Timer.id)
        .where(Timer.due_at <= now)
        .where(
            or_(
                Timer.status == "pending",
                (Timer.status == "running") & (Timer.claimed_at < now - lease),
            )
        )
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
    )
    return [int(i) for i in session.exec(stmt)]


def upcoming_timers(
    *, session: Session, now: datetime, until: datetime
) -> list[tuple[int, datetime]]:
    stmt = (
        select(Timer.id, Timer.due_at)
        .where(Timer.status == "pending", Timer.due_at > now, Timer.due_at <= until)
        .order_by(Timer.due_at)
    )
    return [(int(i), due) for i, due in session.exec(stmt)]


def next_due_at(*, session: Session, now: datetime, kinds: tuple[str, ...]) -> datetime | None:
    """When the next pending timer of one of `kinds` is due (the playground's "next timer")."""
    stmt = (
        select(Timer.due_at)
        .where(Timer.status == "pending", Timer.due_at > now, Timer.kind.in_(kinds))  # type: ignore[attr-defined]
        .order_by(Timer.due_at)
        .limit(1)
    )
    return session.exec(stmt).first()


def claim_timer(
    *, session: Session, timer_id: int, worker: str, now: datetime, lease: timedelta
) -> Timer | None:
    """Claim one due timer for `worker`. A single UPDATE decides, so of several processes that
    try at once exactly one gets the row (on PostgreSQL and SQLite alike)."""
    result = session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.due_at <= now)
        .where(
            or_(
                Timer.status == "pending",
                (Timer.status == "running") & (Timer.claimed_at < now - lease),
            )
        )
        .values(status="running", claimed_by=worker, claimed_at=now, attempts=Timer.attempts + 1)
    )
    if (result.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    return session.get(Timer, timer_id, populate_existing=True)


def finish_timer(
    *,
    session: Session,
    timer_id: int,
    worker: str,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    failed: bool = False,
) -> bool:
    """Record the outcome of a claimed timer: done, retry later (`retry_at`), or failed."""
    if retry_at is not None:
        values: dict[str, object] = {"status": "pending", "due_at": retry_at, "last_error": error}
    elif failed:
        values = {"status": "failed", "done_at": now, "last_error": error}
    else:
        values = {"status": "done", "done_at": now, "last_error": error}
    result = session.execute(
        update(Timer)
        .where(Timer.id == timer_id, Timer.status == "running", Timer.claimed_by == worker)
        .values(**values)
    )
    return (result.rowcount or 0) == 1  # type: ignore[attr-defined]


def get_timer(*, session: Session, timer_id: int) -> Timer | None:
    return session.get(Timer, timer_id)


def purge_finished_timers(*, session: Session, before: datetime) -> int:
    """Forget timers that ran or were cancelled and were due before `before`, in every
    workspace (housekeeping). Failed timers are kept for inspection. Returns how many."""
    result = session.execute(
        delete(Timer).where(
            col(Timer.status).in_(("done", "cancelled")), col(Timer.due_at) < before
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def cancel_workspace_timers(*, session: Session, team_id: str) -> int:
    """Cancel every pending timer of a workspace (it uninstalled the app)."""
    result = session.execute(
        update(Timer)
        .where(Timer.team_id == team_id, Timer.status == "pending")
        .values(status="cancelled")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
