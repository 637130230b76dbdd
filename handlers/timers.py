"""Timer kinds and the functions (with their Slack rendering) that run when they come due.

Each feature registers its kinds here with `core.timers.register(kind, handler)`; the decision
timers are the core's (`bot.decisions.register_timers`, from `bot.core.build_core`).
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.core import Core
from handlers import reviews

log = logging.getLogger(__name__)


def register(app: App, core: Core) -> None:
    """Features add their timer kinds here (reflection rounds: `bot.reflections`)."""

    reviews.register_timers(app.client, core)
