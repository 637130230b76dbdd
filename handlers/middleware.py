"""Global middleware: drop event deliveries Slack already made (dedupe in the database)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.core import Core
from storage.db import session_scope
from storage.events import record_event

log = logging.getLogger(__name__)


def dedupe_events(core: Core) -> Callable[..., BoltResponse | None]:
    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        event_id = body.get("event_id")
        if body.get("type") != "event_callback" or not event_id:
            return next()
        team_id = str(body.get("team_id") or "")
        with session_scope(core.engine) as session:
            fresh = record_event(
                session=session, team_id=team_id, event_id=str(event_id), now=core.clock.now()
            )
        if not fresh:
            log.info("ignoring repeated delivery of event %s (team %s)", event_id, team_id)
            return BoltResponse(status=200, body="")
        return next()

    return middleware
