"""Actions listeners, one module per feature."""

from __future__ import annotations

from slack_bolt import App

from bot.core import Core
from handlers.actions import reviews


def register(app: App, core: Core) -> None:
    """Features add their listeners here."""
    reviews.register(app, core)
