"""The review forms submitted: Keep (next date) and Amend/Reverse (new text, what we learned).
Registered in `handlers.slack.reviews`."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from bot import reviews
from bot.core import Core
from bot.inputs import clean, parse_id
from bot.reviews import FormAnswer
from bot.views import FormErrors
from handlers.slack.api import team_id_of


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


def _day(raw: Any) -> date | None:
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def form_answer(view: dict[str, Any], outcome: str | None) -> tuple[int, FormAnswer]:
    """The review a submitted form answers, and its fields."""
    meta = _metadata(view)
    values = view["state"]["values"]
    tz = meta.get("tz")
    return parse_id(meta.get("review")) or 0, FormAnswer(
        outcome=outcome or str(meta.get("outcome") or ""),
        actual_confidence=parse_id(_value(values, "actual")),
        learned=_value(values, "learned"),
        new_text=_value(values, "new_text"),
        next_review_day=_day(_value(values, "next_review")),
        tz=tz if isinstance(tz, str) else None,
    )


def _asked(body: dict[str, Any], review_id: int) -> dict[str, Any]:
    """Who answers which review, in the words of the core's functions."""
    return {"team_id": team_id_of(body), "user_id": body["user"]["id"], "review_id": review_id}


def submitted(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    *,
    core: Core,
    outcome: str | None,
) -> None:
    review_id, form = form_answer(body["view"], outcome)
    asked = _asked(body, review_id)
    in_form = reviews.answers_in_form(core, **asked)
    if in_form is None:
        ack(response_action="errors", errors={reviews.DEFAULT_FIELD: reviews.GONE})
        return
    if not in_form:
        ack()  # asking the platform who is an admin may be slow
    platform = core.platform_for(asked["team_id"])
    result = reviews.submit_form(core, platform, form=form, in_form=in_form, **asked)
    if isinstance(result, FormErrors):
        ack(response_action="errors", errors=dict(result.errors))
        return
    if in_form:
        ack()
    if result is not None:
        reviews.announce(core, platform, result)
