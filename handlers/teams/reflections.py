"""Reflection rounds in Teams (`reflect ...`): not built yet."""

from __future__ import annotations

from bot.views import Notice
from handlers.teams.activity import Incoming
from handlers.teams.answers import Answers
from handlers.teams.feature import Feature


def reflect_command(a: Answers, m: Incoming, text: str) -> object:
    return a.tell(m, Notice(("This command is not available in Teams yet; use Slack for it.",)))


FEATURE = Feature(commands={"reflect": reflect_command})
