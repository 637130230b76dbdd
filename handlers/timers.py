"""Timer kinds and the functions (with their Slack rendering) that run when they come due.

Each feature registers its kinds here with `core.timers.register(kind, handler)`.
"""

from __future__ import annotations

from slack_bolt import App

from bot.core import Core
from handlers import reviews


def register(app: App, core: Core) -> None:
    """Features add their timer kinds here."""
    reviews.register_timers(app.client, core)
