"""Modals of narrative meetings: starting one (bare `/narrative`) and asking privately."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import meetings
from bot.core import Core
from bot.inputs import TEXT_CHARS, clean, is_slack_id, parse_id, too_long
from handlers.blocks.narratives import ASK_VIEW, START_VIEW
from handlers.narratives import post_narrative, tell_privately
from handlers.slack import team_id_of
from handlers.work import defer


def _value(values: dict[str, Any], block_id: str) -> Any:
    element = (values.get(block_id) or {}).get("value") or {}
    kind = element.get("type")
    if kind == "static_select":
        return (element.get("selected_option") or {}).get("value")
    if kind == "multi_users_select":
        return list(element.get("selected_users") or [])
    return clean(element.get("value") or "").strip()


def parse_start_view(values: dict[str, Any]) -> meetings.NarrativeRequest | dict[str, str]:
    """The form's values as a request, or Slack's `errors` (block id -> message)."""
    errors: dict[str, str] = {}
    title = str(_value(values, "title") or "")
    link = str(_value(values, "link") or "") or None
    body = str(_value(values, "body") or "") or None
    kind = str(_value(values, "kind") or "other")
    readers = tuple(_value(values, "readers") or ())
    reading = meetings.DEFAULT_READING
    try:
        reading = meetings.parse_reading_time(str(_value(values, "reading") or "20m"))
    except meetings.NarrativeInputError as exc:
        errors["reading"] = str(exc)
    if link and (not link.startswith(("http://", "https://")) or any(c in link for c in " <>|")):
        errors["link"] = "A link starts with https:// (or http://) and has no spaces."
    if not (title or link or body):
        errors["title"] = "Give a title, a link or the narrative's text."
    if errors:
        return errors
    if not title:
        title = link or " ".join(str(body).split()[:8]) + "…"
    request = meetings.NarrativeRequest(
        title=title,
        link=link,
        readers=readers,
        reading=reading,
        body=body,
        kind=kind if kind in meetings.KINDS else "other",
    )
    try:
        meetings.check_request(request)
    except meetings.NarrativeInputError as exc:
        return {"title": str(exc)}
    return request


def register(app: App, core: Core) -> None:
    @app.view(START_VIEW)
    def start_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        parsed = parse_start_view(view["state"]["values"])
        if isinstance(parsed, dict):
            ack(response_action="errors", errors=parsed)
            return
        channel_id = str(json.loads(view.get("private_metadata") or "{}").get("channel_id") or "")
        if not is_slack_id(channel_id):
            ack(response_action="errors", errors={"title": "Run /narrative again in the channel."})
            return
        user_id = str(body["user"]["id"])
        # Stored before the form closes (a few milliseconds): what closed is on disk.
        narrative = meetings.start_reading(
            core=core,
            team_id=team_id_of(body),
            channel_id=channel_id,
            owner_id=user_id,
            request=parsed,
        )
        ack()
        defer(core, body, client, lambda: post_narrative(core, client, narrative), lane=channel_id)

    @app.view(ASK_VIEW)
    def ask_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        text = str(_value(view["state"]["values"], "question") or "")
        if not text:
            ack(response_action="errors", errors={"question": "Write your question."})
            return
        if (message := too_long(text, TEXT_CHARS, "question")) is not None:
            ack(response_action="errors", errors={"question": message})
            return
        narrative_id = parse_id(str(view.get("private_metadata") or ""))
        user_id = str(body["user"]["id"])
        # Stored before the form closes: a question the person saw accepted is on disk.
        question = (
            meetings.ask_privately(
                core=core,
                team_id=team_id_of(body),
                narrative_id=narrative_id,
                author_id=user_id,
                text=text,
            )
            if narrative_id is not None
            else None
        )
        ack()
        if question is None:
            return
        progress = meetings.get_progress(
            core=core, team_id=question.team_id, narrative_id=question.narrative_id
        )
        where = progress.narrative.channel_id if progress else user_id
        note = (
            "Your question is recorded; the digest shows it without your name."
            if not question.after_reading
            else "Reading is over, so your question is recorded but the digest is already posted."
        )
        tell_privately(client, channel_id=where, user_id=user_id, text=note)
