"""Slash command listeners, one module per command (as in bolt-python-starter-template)."""

from __future__ import annotations

from slack_bolt import App

from bot.core import Core
from handlers.slack.commands import decide, decisions, narrative, reflect


def register(app: App, core: Core) -> None:
    narrative.register(app, core)
    decide.register(app, core)
    decisions.register(app, core)
    reflect.register(app, core)
