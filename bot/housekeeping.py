"""Housekeeping timers: bookkeeping tables must not grow forever.

The daily purge of processed event ids and of long-finished timers is a timer like any other, so with several instances on
one database it runs once a day, whichever instance claims it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.timers import TimerService
from storage import search as search_rows
from storage import timers as timer_rows
from storage.db import read_scope, session_scope
from storage.events import purge_events, recent_event_ids, record_event, record_events
from storage.models import Timer

log = logging.getLogger(__name__)

PURGE_PROCESSED_EVENTS = "purge_processed_events"
# Slack retries an event delivery for about an hour; a week of ids is ample.
KEEP_PROCESSED_EVENTS = timedelta(days=7)
# Timers that ran or were cancelled are kept a while for inspection, then forgotten.
KEEP_FINISHED_TIMERS = timedelta(days=30)
PURGE_EVERY = timedelta(days=1)
# Housekeeping rows belong to no workspace.
NO_TEAM = ""


def register(timers: TimerService) -> None:
    """Name the housekeeping handlers (every process that runs timers must know them)."""

    def purge_processed_events(timer: Timer) -> None:
        now = timers.clock.now()
        with session_scope(timers.engine) as session:
            removed = purge_events(session=session, before=now - KEEP_PROCESSED_EVENTS)
            finished = timer_rows.purge_finished_timers(
                session=session, before=now - KEEP_FINISHED_TIMERS
            )
            _ensure_purge(timers, session, due_at=now + PURGE_EVERY)
        with session_scope(timers.engine) as session:
            search_rows.tidy(session=session)  # daily: searches read one index segment
        # Nothing purged (as at every start of a new bot) is not news at INFO.
        log.log(
            logging.INFO if removed or finished else logging.DEBUG,
            "purged %s processed event ids and %s finished timers (timer %s)",
            removed,
            finished,
            timer.id,
        )

    timers.register(PURGE_PROCESSED_EVENTS, purge_processed_events)


def schedule(timers: TimerService) -> None:
    """Make sure the daily purge is scheduled; the first one runs at once."""
    with session_scope(timers.engine) as session:
        _ensure_purge(timers, session, due_at=timers.clock.now())


def _ensure_purge(timers: TimerService, session: Session, *, due_at: datetime) -> None:
    # Adding only when none is pending keeps one daily chain: if two instances each scheduled
    # one, the first to run finds the other pending and adds nothing.
    pending = timer_rows.pending_timers(
        session=session, team_id=NO_TEAM, kind=PURGE_PROCESSED_EVENTS, ref_id=0
    )
    if not pending:
        timers.add(
            session=session,
            team_id=NO_TEAM,
            kind=PURGE_PROCESSED_EVENTS,
            ref_id=0,
            due_at=due_at,
        )


def remember_deliveries(
    engine: Engine, *, deliveries: list[tuple[str, str]], now: datetime
) -> None:
    """Record (team id, delivery id) pairs already known to be first deliveries."""
    with session_scope(engine) as session:
        record_events(session=session, deliveries=deliveries, now=now)


def recent_deliveries(engine: Engine, *, prefix: str, since: datetime) -> list[tuple[str, str]]:
    """(team id, delivery id) of deliveries recorded since `since` whose ids start with `prefix`."""
    with read_scope(engine) as session:
        return recent_event_ids(session=session, prefix=prefix, since=since)


def first_delivery(engine: Engine, *, team_id: str, event_id: str, now: datetime) -> bool:
    """Record that Slack delivered `event_id`; False when it had already been delivered."""
    with session_scope(engine) as session:
        return record_event(session=session, team_id=team_id, event_id=event_id, now=now)
