"""Actions listeners, one module per feature."""

from __future__ import annotations

from slack_bolt import App

from bot.core import Core
from handlers.slack import reviews
from handlers.slack.actions import decisions, narratives, reflections


def register(app: App, core: Core) -> None:
    """Features add their listeners here."""
    reflections.register(app, core)
    narratives.register(app, core)
    decisions.register(app, core)
    reviews.register(app, core)  # the review buttons and forms
