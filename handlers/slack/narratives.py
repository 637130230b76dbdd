"""What the narrative listeners share on Slack: delivering the core's answer to a click, a form
or a command (a private note; the digest after the acknowledgement)."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from bot.views import Notice
from handlers.slack.work import defer


def deliver(
    core: Core,
    body: dict[str, Any],
    client: WebClient,
    answer: meetings.Answer,
    *,
    team_id: str,
    user_id: str,
    place: str | None,
) -> None:
    """Tell the person the answer's note (ephemeral where they are, else a DM), then post the
    digest of a reading that just ended on the work threads, in the channel's lane."""
    if isinstance(answer.reply, Notice):
        where = answer.place or place
        core.platform_for(team_id).tell(team_id, user_id, answer.reply, place=where)
    if answer.finish is not None:
        finish = partial(
            meetings.finish_reading_now, core=core, team_id=team_id, narrative_id=answer.finish
        )
        defer(core, body, client, finish)
