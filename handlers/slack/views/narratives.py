"""Modals of narrative meetings: starting one (bare `/narrative`) and asking privately."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from bot.inputs import clean, parse_id
from bot.views import FormErrors
from bot.views.narratives import StartAnswers
from handlers.slack.api import team_id_of
from handlers.slack.blocks.narratives import ASK_VIEW, START_VIEW
from handlers.slack.narratives import deliver
from handlers.slack.work import defer


def _value(values: dict[str, Any], block_id: str) -> Any:
    element = (values.get(block_id) or {}).get("value") or {}
    kind = element.get("type")
    if kind == "static_select":
        return (element.get("selected_option") or {}).get("value")
    if kind == "multi_users_select":
        return list(element.get("selected_users") or [])
    return clean(element.get("value") or "").strip()


def start_answers(values: dict[str, Any]) -> StartAnswers:
    """The start form's state values, as the core reads them."""
    return StartAnswers(
        title=str(_value(values, "title") or ""),
        link=str(_value(values, "link") or ""),
        body=str(_value(values, "body") or ""),
        kind=str(_value(values, "kind") or "other"),
        reading=str(_value(values, "reading") or "20m"),
        readers=tuple(_value(values, "readers") or ()),
    )


def errors_of(errors: FormErrors) -> dict[str, Any]:
    return {"response_action": "errors", "errors": dict(errors.errors)}


def start_submitted(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    view, team_id = body["view"], team_id_of(body)
    channel_id = str(json.loads(view.get("private_metadata") or "{}").get("channel_id") or "")
    # Stored before the form closes (a few milliseconds): what closed is on disk.
    started = meetings.submit_start(
        core=core,
        team_id=team_id,
        place=channel_id,
        owner_id=str(body["user"]["id"]),
        answers=start_answers(view["state"]["values"]),
    )
    if isinstance(started, FormErrors):
        ack(**errors_of(started))
        return
    ack()
    post = partial(meetings.post_narrative, core=core, team_id=team_id, narrative_id=started)
    defer(core, body, client, post, lane=channel_id)


def ask_submitted(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    view, team_id, user_id = body["view"], team_id_of(body), str(body["user"]["id"])
    # Stored before the form closes: a question the person saw accepted is on disk.
    answer = meetings.submit_question(
        core=core,
        team_id=team_id,
        narrative_id=parse_id(str(view.get("private_metadata") or "")),
        author_id=user_id,
        text=str(_value(view["state"]["values"], "question") or ""),
    )
    if isinstance(answer.reply, FormErrors):
        ack(**errors_of(answer.reply))
        return
    ack()
    deliver(core, body, client, answer, team_id=team_id, user_id=user_id, place=user_id)


def register(app: App, core: Core) -> None:
    app.view(START_VIEW)(partial(start_submitted, core=core))
    app.view(ASK_VIEW)(partial(ask_submitted, core=core))
