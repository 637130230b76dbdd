"""Buttons on the narrative message: I'm done reading, Ask privately, End reading now."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from bot.inputs import parse_id
from handlers.slack.api import team_id_of
from handlers.slack.blocks.narratives import ASK, DONE, END, build_ask_modal
from handlers.slack.narratives import deliver


def _pressed(body: dict[str, Any]) -> tuple[str, int | None, str, str]:
    """(team, narrative id from the button value, user, channel)."""
    value = str((body.get("actions") or [{}])[0].get("value") or "")
    narrative_id = parse_id(value)
    user_id = str((body.get("user") or {}).get("id") or "")
    channel_id = str((body.get("channel") or {}).get("id") or "")
    return team_id_of(body), narrative_id, user_id, channel_id


def done_reading(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    team_id, narrative_id, user_id, channel_id = _pressed(body)
    # Stored before the acknowledgement: a click answered 200 is on disk.
    answer = (
        meetings.Answer()
        if narrative_id is None
        else meetings.done_reading(
            core=core, team_id=team_id, narrative_id=narrative_id, user_id=user_id
        )
    )
    ack()
    deliver(core, body, client, answer, team_id=team_id, user_id=user_id, place=channel_id)


def ask_privately(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    team_id, narrative_id, _user_id, _channel_id = _pressed(body)
    if narrative_id is None:
        return
    form = meetings.ask_form(core=core, team_id=team_id, narrative_id=narrative_id)
    if form is not None:
        client.views_open(trigger_id=body["trigger_id"], view=build_ask_modal(form))


def end_reading_now(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    team_id, narrative_id, user_id, channel_id = _pressed(body)
    if narrative_id is None:
        return
    answer = meetings.end_now(
        core=core, team_id=team_id, narrative_id=narrative_id, user_id=user_id
    )
    deliver(core, body, client, answer, team_id=team_id, user_id=user_id, place=channel_id)


def register(app: App, core: Core) -> None:
    app.action(DONE)(partial(done_reading, core=core))
    app.action(ASK)(partial(ask_privately, core=core))
    app.action(END)(partial(end_reading_now, core=core))
