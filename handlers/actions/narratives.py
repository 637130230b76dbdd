"""Buttons on the narrative message: I'm done reading, Ask privately, End reading now."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from bot.inputs import parse_id
from handlers.blocks.narratives import ASK, DONE, END, build_ask_modal
from handlers.narratives import finish_reading_now, refresh_message, tell_privately
from handlers.slack import is_admin, team_id_of
from handlers.work import defer

log = logging.getLogger(__name__)


def _pressed(body: dict[str, Any]) -> tuple[str, int | None, str, str]:
    """(team, narrative id from the button value, user, channel)."""
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    narrative_id = parse_id(value)
    user_id = str((body.get("user") or {}).get("id") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    return team_id_of(body), narrative_id, user_id, channel_id


def register(app: App, core: Core) -> None:
    @app.action(DONE)
    def done_reading(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        team_id, narrative_id, user_id, channel_id = _pressed(body)
        # Stored before the acknowledgement: a click answered 200 is on disk.
        result = (
            None
            if narrative_id is None
            else meetings.mark_done(
                core=core, team_id=team_id, narrative_id=narrative_id, user_id=user_id
            )
        )
        ack()
        if result is None or narrative_id is None:
            return
        if result.ended:
            # The digest waits on Slack: in the channel's lane, not on a listener thread.
            defer(
                core,
                body,
                client,
                lambda: finish_reading_now(
                    core, client, team_id=team_id, narrative_id=narrative_id
                ),
            )
        elif result.counted:
            refresh_message(core, client, team_id=team_id, narrative_id=narrative_id)
        else:
            text = (
                "You are already counted as done. Thank you!"
                if result.progress.reading
                else "Reading is already over; the questions are in the digest in the thread."
            )
            tell_privately(client, channel_id=channel_id, user_id=user_id, text=text)

    @app.action(ASK)
    def ask_privately(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, narrative_id, _user_id, _channel_id = _pressed(body)
        if narrative_id is None:
            return
        progress = meetings.get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
        if progress is None:
            return
        client.views_open(trigger_id=body["trigger_id"], view=build_ask_modal(progress.narrative))

    @app.action(END)
    def end_reading_now(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, narrative_id, user_id, channel_id = _pressed(body)
        if narrative_id is None:
            return
        progress = meetings.get_progress(core=core, team_id=team_id, narrative_id=narrative_id)
        if progress is None:
            return
        owner = progress.narrative.owner_id == user_id
        admin = not owner and is_admin(client, user_id, core.admin_user_ids)
        try:
            ended = meetings.end_reading(
                core=core,
                team_id=team_id,
                narrative_id=narrative_id,
                reason="owner",
                user_id=user_id,
                is_admin=admin,
            )
        except meetings.NotAllowed:
            tell_privately(
                client,
                channel_id=channel_id,
                user_id=user_id,
                text="Only the narrative's owner or a workspace admin can end reading early. "
                "Press *I'm done reading* when you have finished.",
            )
            return
        if not ended:
            tell_privately(
                client, channel_id=channel_id, user_id=user_id, text="Reading is already over."
            )
        defer(
            core,
            body,
            client,
            lambda: finish_reading_now(core, client, team_id=team_id, narrative_id=narrative_id),
        )
