"""`/decisions`: the decision log."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.core import Core
from handlers.render import ephemeral

USAGE = (
    "*/decisions* browses the decision log.\n"
    "• `/decisions` — latest decisions in this channel\n"
    "• `/decisions help` — this message"
)


def register(app: App, core: Core) -> None:
    @app.command("/decisions")
    def decisions_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(ephemeral(USAGE))
