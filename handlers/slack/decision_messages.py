"""Decisions on Slack, shared by the decision listeners: reading a click, and delivering what the
core answered it with (a form to open, the clicked card replaced, a private notice).

Posting, updating and direct messages are the core's (`bot.decisions`, through the port).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot.core import Core
from bot.decisions import Afterwards, DecisionError
from bot.inputs import clean, parse_id
from bot.views import OpenForm, ReplaceCard
from handlers.slack.api import team_id_of

# Registers the decision renderers with `render` (the listeners render what the core returns).
from handlers.slack.blocks import decisions as _renderers  # noqa: F401
from handlers.slack.platform import mrkdwn, render
from handlers.slack.work import defer

Listener = Callable[..., None]


def with_core(listener: Listener, core: Core) -> Listener:
    """`listener` with the running core injected (Bolt passes the rest by argument name)."""
    return partial(listener, core=core)


# --- reading what Slack sent ------------------------------------------------------------------


def user_of(body: dict[str, Any]) -> str:
    """Who clicked, submitted or typed the command."""
    return str(body.get("user_id") or body["user"]["id"])


def channel_of(body: dict[str, Any]) -> str | None:
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    return str(channel) if channel else None


def clicked_id(body: dict[str, Any]) -> int | None:
    """The decision (or narrative) id a button carries."""
    return parse_id(body["actions"][0].get("value"))


def metadata_of(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def form_decision_id(view: dict[str, Any]) -> int | None:
    raw = metadata_of(view).get("decision_id")
    return raw if isinstance(raw, int) else None


def form_value(view: dict[str, Any], block_id: str) -> Any:
    """The submitted value of one input, whatever its element type."""
    element = (view.get("state", {}).get("values", {}).get(block_id) or {}).get("value") or {}
    if isinstance(element.get("value"), str):
        return clean(element["value"])
    for key in ("selected_user", "selected_date"):
        if element.get(key) is not None:
            return element[key]
    if element.get("selected_option"):
        return element["selected_option"].get("value")
    if "selected_options" in element:
        return [o.get("value") for o in element["selected_options"] or []]
    return None


# --- answering --------------------------------------------------------------------------------


def form_errors(ack: Ack, block_id: str, problem: DecisionError | str) -> None:
    """Keep the form open with the problem under `block_id` (Slack shows 150 characters)."""
    message = mrkdwn(problem.body) if isinstance(problem, DecisionError) else problem
    ack(response_action="errors", errors={block_id: message[:150]})


def private_reply(view: object) -> dict[str, Any]:
    """A notice as the body of a private `ack()` / `respond()`."""
    return {"response_type": "ephemeral", **render(view)}


def answer(core: Core, client: WebClient, body: dict[str, Any], reply: object | None) -> None:
    """Do what the core answered a click (or a command) with."""
    if reply is None:
        return
    if isinstance(reply, OpenForm):
        client.views_open(trigger_id=body["trigger_id"], view=render(reply.form))
        return
    channel = channel_of(body)
    if isinstance(reply, ReplaceCard):
        ts = (body.get("message") or {}).get("ts")
        if channel and ts:
            client.chat_update(channel=channel, ts=ts, **render(reply.view))
        return
    team_id = team_id_of(body)
    core.platform_for(team_id).tell(team_id, user_of(body), reply, place=channel)


def tell_afterwards(core: Core, body: dict[str, Any], later: Afterwards) -> None:
    """Run what is left after acknowledging; tell the person directly what it says."""
    said = later.run()
    if said is not None:
        team_id = team_id_of(body)
        core.platform_for(team_id).tell(team_id, user_of(body), said)


def defer_afterwards(
    core: Core, body: dict[str, Any], client: WebClient, later: Afterwards
) -> None:
    """After acknowledging: `later` in its place's lane, not on a listener thread."""
    defer(core, body, client, partial(tell_afterwards, core, body, later), lane=later.place)
