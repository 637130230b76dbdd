"""The App Home tab: the leaders' decision log browser."""

from __future__ import annotations

from slack_bolt import App

from bot.core import Core
from handlers.slack.home import decision_log


def register(app: App, core: Core) -> None:
    decision_log.register(app, core)
