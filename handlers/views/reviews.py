"""The review forms: Keep (next date) and Amend/Reverse (new text, what we learned)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import reviews
from bot.core import Core
from bot.inputs import clean, parse_id
from handlers.actions.reviews import NOT_YOURS
from handlers.decision_messages import DecisionMessages
from handlers.reviews import announce_answer
from handlers.slack import is_admin, team_id_of, user_timezone


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
        if user != decision.owner_id and not is_admin(client, user, core.admin_user_ids):
            ack(response_action="errors", errors={"learned": NOT_YOURS})
            return
        answer = reviews.ReviewAnswer(
            outcome=outcome,
            actual_confidence=_int(_value(values, "actual")),
            learned=_value(values, "learned"),
            new_text=_value(values, "new_text"),
            next_review_on=_at_nine(_value(values, "next_review"), user_timezone(client, user))
            if outcome == "keep"
            else None,
        )
        try:
            result = reviews.answer_review(
                core, team_id=team_id, review_id=review_id, user_id=user, answer=answer
            )
        except reviews.ReviewError as exc:
            # Errors without a field of their own show under "learned", which every form has.
            ack(response_action="errors", errors={exc.field or "learned": str(exc)})
            return
        ack()
        announce_answer(client, core, result, DecisionMessages.for_app(app, core))

    @app.view("review_keep")
    def keep_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submit(ack, body, client, "keep")

    @app.view("review_change")
    def change_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        submit(ack, body, client, None)
