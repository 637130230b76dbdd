"""A workspace removed the app: its timers stop; its data is kept for the retention period."""

from __future__ import annotations

import logging

from bot.core import Core
from storage import timers as timer_rows
from storage import workspaces
from storage.db import session_scope

log = logging.getLogger(__name__)


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
