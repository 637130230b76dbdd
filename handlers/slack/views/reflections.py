"""Form submissions: a person's answers to a round, and a channel's questions."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reflections
from bot.core import Core
from bot.inputs import clean, parse_id
from bot.views import FormErrors
from bot.views.reflections import MAX_QUESTIONS, answer_field
from handlers.slack.api import team_id_of
from handlers.slack.blocks.reflections import (
    ANSWER_INPUT,
    ANSWERS_CALLBACK,
    QUESTIONS_BLOCK,
    QUESTIONS_CALLBACK,
    QUESTIONS_INPUT,
    RESET_BLOCK,
    RESET_INPUT,
)
from handlers.slack.platform import render


def _input_value(values: dict[str, Any], block_id: str, action_id: str) -> str:
    return clean(str(((values.get(block_id) or {}).get(action_id) or {}).get("value") or ""))


def _answers(values: dict[str, Any]) -> dict[int, str]:
    """The answers form's fields by question index."""
    return {
        i: _input_value(values, answer_field(i), ANSWER_INPUT)
        for i in range(MAX_QUESTIONS)
        if answer_field(i) in values
    }


def _errors(ack: Ack, errors: FormErrors) -> None:
    ack(response_action="errors", errors=dict(errors.errors))


def answers_submitted(ack: Ack, body: dict[str, Any], *, core: Core) -> None:
    view, team_id, user_id = body["view"], team_id_of(body), str(body["user"]["id"])
    answer = reflections.submit_answers(
        core,
        team_id=team_id,
        round_id=parse_id(str(view.get("private_metadata") or "")),
        user_id=user_id,
        answers=_answers(view["state"]["values"]),
    )
    if isinstance(answer, FormErrors):
        _errors(ack, answer)
        return
    ack()
    core.platform_for(team_id).tell(team_id, user_id, answer, place=answer.place)


def questions_submitted(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    view, team_id, user_id = body["view"], team_id_of(body), str(body["user"]["id"])
    values = view["state"]["values"]
    reset = ((values.get(RESET_BLOCK) or {}).get(RESET_INPUT) or {}).get("selected_options")
    change = reflections.check_questions_form(
        str(view.get("private_metadata") or ""),
        _input_value(values, QUESTIONS_BLOCK, QUESTIONS_INPUT),
        reset=bool(reset),
    )
    if isinstance(change, FormErrors):
        _errors(ack, change)
        return
    # Who may change the channel's questions is asked of Slack: after the form has closed.
    ack()
    told = reflections.change_questions(core, team_id=team_id, user_id=user_id, change=change)
    if told.place is not None:
        core.platform_for(team_id).tell(team_id, user_id, told.note, place=told.place)
    else:  # not in that channel: say it where only they read it
        client.chat_postMessage(channel=user_id, **render(told.note))


def register(app: App, core: Core) -> None:
    app.view(ANSWERS_CALLBACK)(partial(answers_submitted, core=core))
    app.view(QUESTIONS_CALLBACK)(partial(questions_submitted, core=core))
