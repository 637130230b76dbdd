"""`/decide`: disagree-and-commit polls."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.core import Core
from handlers.render import ephemeral

USAGE = (
    "*/decide* runs a disagree-and-commit poll.\n"
    "• `/decide PROPOSAL [confidence:NN%] [review:YYYY-MM-DD|NNd] [owner:@user] "
    "[door:one-way|two-way] [closes:DURATION]`\n"
    "• `/decide` — open a form\n"
    "• `/decide help` — this message"
)


def register(app: App, core: Core) -> None:
    @app.command("/decide")
    def decide_command(ack: Ack, command: dict[str, Any]) -> None:
        ack(ephemeral(USAGE))
