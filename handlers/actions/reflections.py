"""The Answer button on a reflection round."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from bot.inputs import parse_id
from handlers.blocks.reflections import ANSWER_ACTION, build_answer_modal
from handlers.slack import team_id_of


def register(app: App, core: Core) -> None:
    @app.action(ANSWER_ACTION)
    def answer_pressed(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id = team_id_of(body)
        user_id = str(body["user"]["id"])
        channel_id = str((body.get("channel") or {}).get("id") or "")
        value = str(body["actions"][0].get("value") or "")
        round_id = parse_id(value)
        round_ = (
            reflections.get_round(core, team_id=team_id, round_id=round_id)
            if round_id is not None
            else None
        )
        if round_ is None or not reflections.is_open(round_, core.clock.now()):
            if channel_id:
                client.chat_postEphemeral(
                    channel=channel_id,
                    user=user_id,
                    text="This reflection round has closed; answers are no longer taken.",
                )
            return
        existing = reflections.user_answers(
            core, team_id=team_id, round_id=round_.id, user_id=user_id
        )
        client.views_open(trigger_id=body["trigger_id"], view=build_answer_modal(round_, existing))
