"""Timer kinds and the functions (with their Slack rendering) that run when they come due.

Each feature registers its kinds here with `core.timers.register(kind, handler)`; the decision
timers are the core's (`bot.decisions.register_timers`, from `bot.core.build_core`).
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot import meetings
from bot.core import Core
from handlers import reviews
from handlers.narratives import confirm_narrative, finish_reading
from storage.models import Timer

log = logging.getLogger(__name__)


def register(app: App, core: Core) -> None:
    """Features add their timer kinds here (reflection rounds: `bot.reflections`)."""

    def reading_end(timer: Timer) -> None:
        # Ends reading unless something else ended it first; the digest is posted once either way.
        meetings.end_reading(
            core=core, team_id=timer.team_id, narrative_id=timer.ref_id, reason="time"
        )
        finish_reading(core, app.client, team_id=timer.team_id, narrative_id=timer.ref_id)
        if meetings.digest_missing(core=core, team_id=timer.team_id, narrative_id=timer.ref_id):
            # Another run is posting it (a failure of this one's would have raised).
            meetings.check_digest_later(core=core, team_id=timer.team_id, narrative_id=timer.ref_id)

    core.timers.register(meetings.READING_END, reading_end)
    core.timers.register(
        meetings.NARRATIVE_CONFIRM,
        lambda timer: confirm_narrative(
            core, app.client, team_id=timer.team_id, narrative_id=timer.ref_id
        ),
    )
    reviews.register_timers(app.client, core)
