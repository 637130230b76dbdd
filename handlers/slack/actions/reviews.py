"""The owner's answers to a review: Keep and Amend/Reverse open a form, Snooze answers at once.
Registered in `handlers.slack.reviews`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import reviews
from bot.core import Core
from bot.inputs import parse_id
from bot.views import Notice, OpenForm, Reply
from bot.vocabulary import ReviewAnswer
from handlers.slack.api import team_id_of
from handlers.slack.platform import render


def deliver(core: Core, client: WebClient, body: dict[str, Any], reply: Reply) -> None:
    """What answers a click, after its acknowledgement: a form opens, a notice is told privately
    where the button was pressed."""
    if isinstance(reply, OpenForm):
        client.views_open(trigger_id=body["trigger_id"], **render(reply.form))
    elif isinstance(reply, Notice):
        team_id = team_id_of(body)
        place = (body.get("channel") or {}).get("id")
        core.platform_for(team_id).tell(team_id, body["user"]["id"], reply, place=place)


def _asked(body: dict[str, Any]) -> dict[str, Any]:
    """Who asked about which review, in the words of the core's functions."""
    return {
        "team_id": team_id_of(body),
        "user_id": body["user"]["id"],
        "review_id": parse_id(body["actions"][0].get("value")) or 0,
    }


def keep(ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core) -> None:
    ack()
    asked = _asked(body)
    platform = core.platform_for(asked["team_id"])
    deliver(core, client, body, reviews.open_keep(core, platform, **asked))


def change(
    ack: Ack, body: dict[str, Any], client: WebClient, *, core: Core, outcome: ReviewAnswer
) -> None:
    ack()
    asked = _asked(body)
    platform = core.platform_for(asked["team_id"])
    deliver(core, client, body, reviews.open_change(core, platform, outcome=outcome, **asked))


def snooze(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    *,
    core: Core,
    period: str,
) -> None:
    ack()
    asked = _asked(body)
    platform = core.platform_for(asked["team_id"])
    reply = reviews.snooze(core, platform, period=period, **asked)
    deliver(core, client, body, reply)
