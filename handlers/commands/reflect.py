"""`/reflect`: scheduled team reflection."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.core import Core
from handlers.render import ephemeral

USAGE = (
    "*/reflect* asks the team the standard reflection questions.\n"
    "• `/reflect now` — post a reflection round now\n"
    "• `/reflect help` — this message"
)


def register(app: App, core: Core) -> None:
    @app.command("/reflect")
    def reflect_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(ephemeral(USAGE))
