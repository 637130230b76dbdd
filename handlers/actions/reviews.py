"""The owner's answers to a review: Keep and Amend/Reverse open a form, Snooze answers at once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reviews
from bot.core import Core
from bot.inputs import parse_id
from handlers.blocks.reviews import build_change_modal, build_keep_modal
from handlers.decision_messages import DecisionMessages
from handlers.reviews import announce_answer
from handlers.slack import is_admin, team_id_of, user_timezone

log = logging.getLogger(__name__)

NOT_YOURS = "Only the decision's owner (or a workspace admin) can answer its review."
ANSWERED = "This review was already answered."


def tell(client: WebClient, body: dict[str, Any], text: str) -> None:
    """A private line to whoever pressed the button, where they pressed it."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        client.chat_postMessage(channel=user, text=text)


def load_for_answer(
    client: WebClient, core: Core, body: dict[str, Any], review_id: int
) -> tuple[Any, Any] | None:
    """The review and decision if the presser may answer it; else tell them why not."""
    team_id = team_id_of(body)
    user = body["user"]["id"]
    found = reviews.review_with_decision(core, team_id=team_id, review_id=review_id)
    if found is None:
        tell(client, body, "This review no longer exists.")
        return None
    review, decision = found
    if user != decision.owner_id and not is_admin(client, user, core.admin_user_ids):
        tell(client, body, NOT_YOURS)
        return None
    if review.answered_at is not None:
        tell(client, body, ANSWERED)
        return None
    closed = reviews.closed_note(decision)
    if closed is not None:
        tell(client, body, closed)
        return None
    return review, decision


def _review_id(body: dict[str, Any]) -> int:
    return parse_id(body["actions"][0].get("value")) or 0


def register(app: App, core: Core) -> None:
    @app.action("review_keep")
    def keep(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        found = load_for_answer(client, core, body, _review_id(body))
        if found is None:
            return
        review, decision = found
        since = decision.decided_at or decision.created_at
        interval = max(review.due_at - since, timedelta(days=1))
        next_review = (core.clock.now() + interval).date()
        tz = user_timezone(client, body["user"]["id"])
        client.views_open(
            trigger_id=body["trigger_id"],
            view=build_keep_modal(review, decision, next_review, tz=tz),
        )

    def change(outcome: str):  # type: ignore[no-untyped-def]
        def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            found = load_for_answer(client, core, body, _review_id(body))
            if found is None:
                return
            review, decision = found
            client.views_open(
                trigger_id=body["trigger_id"], view=build_change_modal(review, decision, outcome)
            )

        return listener

    app.action("review_amend")(change("amend"))
    app.action("review_reverse")(change("reverse"))

    def snooze(period: str):  # type: ignore[no-untyped-def]
        def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            review_id = _review_id(body)
            if load_for_answer(client, core, body, review_id) is None:
                return
            try:
                result = reviews.answer_review(
                    core,
                    team_id=team_id_of(body),
                    review_id=review_id,
                    user_id=body["user"]["id"],
                    answer=reviews.Answer(outcome="snooze", snooze=period),
                )
            except reviews.ReviewError as exc:
                tell(client, body, str(exc))
                return
            announce_answer(client, core, result, DecisionMessages.for_app(app, core))

        return listener

    app.action("review_snooze_week")(snooze("week"))
    app.action("review_snooze_month")(snooze("month"))
