"""Modal submissions: a person's answers to a round, and a channel's questions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from bot.inputs import clean, is_slack_id, parse_id
from bot.reflections import ReflectionError
from handlers.blocks.reflections import (
    ANSWER_INPUT,
    ANSWERS_CALLBACK,
    QUESTIONS_BLOCK,
    QUESTIONS_CALLBACK,
    QUESTIONS_INPUT,
    RESET_BLOCK,
    RESET_INPUT,
    answer_block_id,
)
from handlers.directory import may_see
from handlers.render import slack_date
from handlers.slack import is_admin, team_id_of


def _input_value(values: dict[str, Any], block_id: str, action_id: str) -> str:
    return clean(str(((values.get(block_id) or {}).get(action_id) or {}).get("value") or ""))


def register(app: App, core: Core) -> None:
    @app.view(ANSWERS_CALLBACK)
    def answers_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        team_id = team_id_of(body)
        user_id = str(body["user"]["id"])
        values = view["state"]["values"]
        metadata = str(view.get("private_metadata") or "")
        round_id = parse_id(metadata)
        round_ = (
            reflections.get_round(core, team_id=team_id, round_id=round_id)
            if round_id is not None
            else None
        )
        first_block = answer_block_id(0)
        if round_ is None:
            ack(response_action="errors", errors={first_block: "This round no longer exists."})
            return
        answers = {
            index: _input_value(values, answer_block_id(index), ANSWER_INPUT)
            for index in range(len(round_.questions))
        }
        try:
            count = reflections.save_modal_answers(
                core, team_id=team_id, round_id=round_.id, user_id=user_id, answers=answers
            )
        except ReflectionError as exc:
            ack(response_action="errors", errors={first_block: str(exc)})
            return
        ack()
        client.chat_postEphemeral(
            channel=round_.channel_id,
            user=user_id,
            text=(
                f":white_check_mark: Saved your answers to {count} of "
                f"{len(round_.questions)} questions. You can change them until "
                f"{slack_date(round_.closes_at)} with the Answer button."
            ),
        )

    @app.view(QUESTIONS_CALLBACK)
    def questions_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        team_id = team_id_of(body)
        user_id = str(body["user"]["id"])
        channel_id = str(view.get("private_metadata") or "")
        values = view["state"]["values"]
        selected = ((values.get(RESET_BLOCK) or {}).get(RESET_INPUT) or {}).get(
            "selected_options"
        ) or []
        if not is_slack_id(channel_id):
            ack(response_action="errors", errors={QUESTIONS_BLOCK: "Run /reflect questions again."})
            return
        questions: list[str] = []
        if not selected:
            try:
                questions = reflections.parse_question_lines(
                    _input_value(values, QUESTIONS_BLOCK, QUESTIONS_INPUT)
                )
            except ReflectionError as exc:
                ack(response_action="errors", errors={QUESTIONS_BLOCK: str(exc)})
                return
        # The channel comes from the form's metadata, which the submitter controls: the core
        # checks again who may change that channel's settings. Membership and admin standing
        # are Slack calls, so they are asked after the form has closed; what the person is
        # told (saved, or why not) comes after the check and the write.
        ack()
        member = may_see(client, user_id, channel_id)
        admin = is_admin(client, user_id, core.admin_user_ids)
        try:
            if selected:
                reflections.reset_questions(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    is_admin=admin,
                    is_member=member,
                )
                text = "This channel's reflection questions are back to the standard nine."
            else:
                reflections.save_questions(
                    core,
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    questions=questions,
                    is_admin=admin,
                    is_member=member,
                )
                text = (
                    f"Saved {len(questions)} reflection questions for this channel; "
                    "the next round asks them."
                )
        except ReflectionError as exc:
            text = f":warning: {exc}"
        if member:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
        else:  # not in that channel: say it where only they read it
            client.chat_postMessage(channel=user_id, text=text)
