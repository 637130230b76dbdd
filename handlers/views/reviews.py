"""The review forms: Keep (next date) and Amend/Reverse (new text, what we learned)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import reviews
from bot.core import Core
from bot.inputs import clean, parse_id
from handlers.actions.reviews import NOT_YOURS
from handlers.decision_messages import DecisionMessages
from handlers.reconcile import UNANSWERED
from handlers.reviews import announce_answer
from handlers.slack import is_admin, team_id_of, user_timezone

log = logging.getLogger(__name__)


def _value(values: dict[str, Any], block: str) -> Any:
    element = (values.get(block) or {}).get("value") or {}
    if "selected_option" in element:
        return (element.get("selected_option") or {}).get("value")
    if "selected_date" in element:
        return element.get("selected_date")
    value = element.get("value")
    return clean(value) if isinstance(value, str) else value


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _at_nine(day: str | None, tz: str) -> datetime | None:
    if not day:
        return None
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return None
    try:
        zone = ZoneInfo(tz)
    except Exception:  # noqa: BLE001 - an unknown zone falls back to UTC
        zone = ZoneInfo("UTC")
    return datetime.combine(parsed, time(9, 0), tzinfo=zone)


def tell_privately(client: WebClient, user: str, text: str) -> None:
    """After the form closed: a direct message (the form was submitted from anywhere)."""
    try:
        channel = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=text)
    except (SlackApiError, *UNANSWERED):
        log.warning("could not tell %s about their review answer", user)


def _int(raw: Any) -> int | None:
    return parse_id(raw)


def register(app: App, core: Core) -> None:
    def submit(ack: Ack, body: dict[str, Any], client: WebClient, outcome: str | None) -> None:
        view = body["view"]
        meta = _metadata(view)
        values = view["state"]["values"]
        user = body["user"]["id"]
        team_id = team_id_of(body)
        review_id = _int(meta.get("review")) or 0
        outcome = outcome or str(meta.get("outcome") or "")
        found = reviews.review_with_decision(core, team_id=team_id, review_id=review_id)
        if found is None or outcome not in ("keep", "amend", "reverse"):
            ack(response_action="errors", errors={"learned": "This review no longer exists."})
            return
        _review, decision = found
        # The owner (or a NARRATIVE_ADMINS admin) is answered in the form; anyone else's admin
        # standing is asked of Slack after the acknowledgement, and refusals told privately.
        known = user == decision.owner_id or user in core.admin_user_ids
        if not known:
            ack()
            if not is_admin(client, user, core.admin_user_ids):
                tell_privately(client, user, NOT_YOURS)
                return
        # The zone was looked up when the form opened; a form opened by an older version of
        # the bot has none, and the zone is asked for now.
        tz = meta.get("tz")
        if outcome == "keep" and not isinstance(tz, str):
            tz = user_timezone(client, user)
        answer = reviews.Answer(
            outcome=outcome,
            actual_confidence=_int(_value(values, "actual")),
            learned=_value(values, "learned"),
            new_text=_value(values, "new_text"),
            next_review_on=_at_nine(_value(values, "next_review"), str(tz))
            if outcome == "keep"
            else None,
        )
        try:
            result = reviews.answer_review(
                core, team_id=team_id, review_id=review_id, user_id=user, answer=answer
            )
        except reviews.ReviewError as exc:
            if not known:
                tell_privately(client, user, f":warning: {exc}")
                return
            # Errors without a field of their own show under "learned", which every form has.
            ack(response_action="errors", errors={exc.field or "learned": str(exc)})
            return
        if known:
            ack()
        announce_answer(client, core, result, DecisionMessages.for_app(app, core))

    @app.view("review_keep")
    def keep_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submit(ack, body, client, "keep")

    @app.view("review_change")
    def change_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submit(ack, body, client, None)
