"""Views listeners, one module per feature."""

from __future__ import annotations

from slack_bolt import App

from bot.core import Core
from handlers.slack.views import decisions, narratives, reflections


def register(app: App, core: Core) -> None:
    """Features add their listeners here."""
    reflections.register(app, core)
    narratives.register(app, core)
    decisions.register(app, core)
    # Review forms: with the review buttons (`handlers.slack.reviews`).
