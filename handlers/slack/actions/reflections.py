"""The Answer button on a reflection round: the answers form, or a note that it has closed."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from bot.inputs import parse_id
from bot.views import OpenForm
from handlers.slack.api import team_id_of
from handlers.slack.blocks.reflections import ANSWER_ACTION
from handlers.slack.platform import render


def answer_pressed(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    team_id, user_id = team_id_of(body), str(body["user"]["id"])
    channel_id = str((body.get("channel") or {}).get("id") or "")
    answer = reflections.answer_form(
        core,
        team_id=team_id,
        round_id=parse_id(str(body["actions"][0].get("value") or "")),
        user_id=user_id,
    )
    if isinstance(answer, OpenForm):
        client.views_open(trigger_id=body["trigger_id"], view=render(answer.form))
    elif channel_id:
        core.platform_for(team_id).tell(team_id, user_id, answer, place=channel_id)


def register(app: App, core: Core) -> None:
    app.action(ANSWER_ACTION)(partial(answer_pressed, core=core))
