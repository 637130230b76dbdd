"""`/narrative`: silent reading periods."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.core import Core
from handlers.render import ephemeral

USAGE = (
    "*/narrative* runs a silent reading period on a written narrative.\n"
    "• `/narrative [DURATION] [@reader ...] TITLE and/or LINK` — start reading, e.g. "
    "`/narrative 20m @ana @ben Q3 pricing six-pager https://docs.example.com/q3` "
    "(DURATION like `20m`, `1h`, `1h30m`, `90s`; 1 minute to 4 hours; default 20m)\n"
    "• `/narrative` — open a form to paste the narrative, pick its kind and readers\n"
    "• `/narrative status` — open reading periods in this channel\n"
    "• `/narrative end` — end this channel's reading period now (owner or admin)\n"
    "• `/narrative help` — this message"
)


def register(app: App, core: Core) -> None:
    @app.command("/narrative")
    def narrative_command(ack: Ack, command: dict[str, Any]) -> None:
        text = (command.get("text") or "").strip()
        if text.lower() in ("help", "?", ""):
            ack(ephemeral(USAGE))
            return
        ack(ephemeral(USAGE))
