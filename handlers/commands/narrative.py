"""`/narrative`: silent reading periods."""

from __future__ import annotations

import dataclasses
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from handlers.blocks.narratives import build_start_modal, build_status_text
from handlers.narratives import finish_reading_now, post_narrative, tell_privately
from handlers.render import ephemeral
from handlers.slack import is_admin, team_id_of
from handlers.slack_text import to_plain
from handlers.work import defer

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
    def narrative_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        text = (command.get("text") or "").strip()
        word = text.lower()
        team_id = team_id_of(command)
        channel_id = str(command.get("channel_id") or "")
        user_id = str(command.get("user_id") or "")
        if word in ("help", "?"):
            ack(ephemeral(USAGE))
            return
        if not text:
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=build_start_modal(channel_id))
            return
        if word == "status":
            periods = meetings.open_in_channel(core=core, team_id=team_id, channel_id=channel_id)
            ack(ephemeral(build_status_text(periods)))
            return
        if word == "end":
            ack()
            _end_in_channel(core, client, team_id=team_id, channel_id=channel_id, user_id=user_id)
            return
        try:
            request = meetings.parse_narrative_text(text)
        except meetings.NarrativeInputError as exc:
            ack(ephemeral(f":warning: {exc}\n\n{USAGE}"))
            return
        ack()
        # Slack escapes & < > everywhere in the text, the link's query string too.
        request = dataclasses.replace(
            request,
            title=to_plain(request.title),
            link=to_plain(request.link) if request.link else None,
        )

        def start() -> None:
            narrative = meetings.start_reading(
                core=core, team_id=team_id, channel_id=channel_id, owner_id=user_id, request=request
            )
            post_narrative(core, client, narrative)

        defer(core, command, client, start)


def _end_in_channel(
    core: Core, client: WebClient, *, team_id: str, channel_id: str, user_id: str
) -> None:
    """`/narrative end`: the newest reading period here that this person may end."""
    periods = meetings.open_in_channel(core=core, team_id=team_id, channel_id=channel_id)
    if not periods:
        tell_privately(
            client,
            channel_id=channel_id,
            user_id=user_id,
            text="No reading period is in progress in this channel.",
        )
        return
    own = [p for p in periods if p.narrative.owner_id == user_id]
    admin = not own and is_admin(client, user_id, core.admin_user_ids)
    if not own and not admin:
        tell_privately(
            client,
            channel_id=channel_id,
            user_id=user_id,
            text="Only the narrative's owner or a workspace admin can end reading early. "
            "Press *I'm done reading* when you have finished.",
        )
        return
    narrative_id = int((own or periods)[0].narrative.id or 0)
    meetings.end_reading(
        core=core,
        team_id=team_id,
        narrative_id=narrative_id,
        reason="owner",
        user_id=user_id,
        is_admin=admin,
    )
    finish_reading_now(core, client, team_id=team_id, narrative_id=narrative_id)
