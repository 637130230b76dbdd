"""A workspace removed the app: its timers stop; its data is kept for the retention period."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.engine import Engine

from bot.core import Core
from bot.vocabulary import PlatformName
from storage import timers as timer_rows
from storage import workspaces
from storage.db import make_engine, read_scope, session_scope
from storage.models import Timer

log = logging.getLogger(__name__)

PURGE_UNINSTALLED = "purge_uninstalled_workspaces"
DAY = timedelta(days=1)


def workspace_installed(core: Core, team_id: str, platform: PlatformName) -> None:
    """`team_id` installed the app (perhaps again, within its retention period: its data
    stays)."""
    core.record_workspace(team_id, platform)
    with session_scope(core.engine) as session:
        workspaces.mark_installed(session=session, team_id=team_id)
    log.info("workspace %s installed the app", team_id)


def workspace_uninstalled(core: Core, team_id: str) -> int:
    """Stop `team_id`'s timers and note the uninstall; returns how many timers stopped."""
    now = core.clock.now()
    with session_scope(core.engine) as session:
        stopped = timer_rows.cancel_workspace_timers(session=session, team_id=team_id)
        workspaces.mark_uninstalled(session=session, team_id=team_id, now=now)
    log.info(
        "workspace %s uninstalled the app: its tokens are removed, %s timers stopped",
        team_id,
        stopped,
    )
    return stopped


def purge(core_engine: Engine, team_id: str) -> dict[str, int]:
    """Delete all of `team_id`'s data now; rows deleted per table."""
    with session_scope(core_engine) as session:
        counts = workspaces.purge_workspace(session=session, team_id=team_id)
    log.info("purged workspace %s: %s rows", team_id, sum(counts.values()))
    return counts


def purge_cli(database_url: str, team_id: str) -> int:
    """`narrative-bot purge --team T`: delete and print the counts (0 rows is not an error)."""
    engine = make_engine(database_url)
    try:
        counts = purge(engine, team_id)
    finally:
        engine.dispose()
    for table, count in sorted(counts.items()):
        if count:
            print(f"{table:28} {count}")
    print(f"deleted {sum(counts.values())} rows of workspace {team_id}")
    return 0


def register(core: Core, *, retention: timedelta) -> None:
    """The daily deletion of workspaces whose retention period after uninstalling is over."""

    def purge_expired(timer: Timer) -> None:
        now = core.clock.now()
        with read_scope(core.engine) as session:
            expired = workspaces.expired_workspaces(
                session=session, uninstalled_before=now - retention
            )
        for team_id in expired:
            purge(core.engine, team_id)
        with session_scope(core.engine) as session:
            core.timers.add(
                session=session, team_id="", kind=PURGE_UNINSTALLED, ref_id=0, due_at=now + DAY
            )

    core.timers.register(PURGE_UNINSTALLED, purge_expired)


def schedule(core: Core) -> None:
    """Make sure the daily deletion is scheduled (once, whichever instance adds it first)."""
    with session_scope(core.engine) as session:
        pending = timer_rows.pending_timers(
            session=session, team_id="", kind=PURGE_UNINSTALLED, ref_id=0
        )
        if not pending:
            core.timers.add(
                session=session,
                team_id="",
                kind=PURGE_UNINSTALLED,
                ref_id=0,
                due_at=core.clock.now(),
            )
