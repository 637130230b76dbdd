"""What the bot reads from a Teams activity, checked with the Agents SDK's Activity model."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from microsoft_agents.activity import Activity
from pydantic import ValidationError

# The SDK logs a failed validation with its input, which may hold a person's words: the bot
# logs its own one-line reason instead (message text stays out of the logs).
logging.getLogger("microsoft_agents.activity.activity").setLevel(logging.CRITICAL)
# `<at>Narrative</at>` mentions (Teams puts the mentioned name between the tags).
_MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
# Ids are short, printable and have no spaces (Teams' are long: up to 255 characters here).
_ID = re.compile(r"[^\s<>\"']{1,255}")


class BadActivity(ValueError):
    """The body is not an activity the bot can act on (answered 400, nothing changes)."""


@dataclass(frozen=True)
class Incoming:
    """One activity, as the listeners use it."""

    activity: Activity
    type: str
    id: str
    name: str | None
    tenant: str
    user: str
    user_name: str
    conversation: str
    conversation_type: str
    service_url: str
    bot_id: str
    text: str
    value: dict[str, Any]
    reply_to: str | None
    timezone: str | None
    mentions_bot: bool = False

    @property
    def is_personal(self) -> bool:
        return self.conversation_type == "personal"

    @property
    def place(self) -> str:
        """The channel or chat, without a thread's `;messageid=` suffix."""
        return self.conversation.split(";messageid=", 1)[0]


def parse(body: bytes) -> Incoming:
    """The activity in `body`, or BadActivity saying what is missing."""
    try:
        raw = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BadActivity("not JSON") from None
    if not isinstance(raw, dict):
        raise BadActivity("not an object")
    try:
        activity = Activity.model_validate(raw)
    except (ValidationError, ValueError, TypeError):
        raise BadActivity("not an activity") from None
    tenant = _tenant(activity)
    sender, conversation = activity.from_property, activity.conversation
    if sender is None or conversation is None or activity.recipient is None:
        raise BadActivity("no sender, conversation or recipient")
    for value in (tenant, sender.id, conversation.id, activity.recipient.id):
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise BadActivity("an id is missing or malformed")
    service_url = activity.service_url or ""
    if not service_url.startswith(("https://", "http://")):
        raise BadActivity("no serviceUrl")
    value = activity.value if isinstance(activity.value, dict) else {}
    return Incoming(
        activity=activity,
        type=str(activity.type),
        id=str(activity.id or ""),
        name=activity.name,
        tenant=tenant,
        user=str(sender.id),
        user_name=str(sender.name or ""),
        conversation=str(conversation.id),
        conversation_type=str(conversation.conversation_type or "personal"),
        service_url=service_url,
        bot_id=str(activity.recipient.id),
        text=command_text(_mentions_as_ids(activity, str(activity.recipient.id))),
        value=value,
        reply_to=activity.reply_to_id,
        timezone=activity.local_timezone,
        mentions_bot=any(
            getattr(getattr(e, "mentioned", None), "id", None) == activity.recipient.id
            for e in activity.entities or []
        ),
    )


def _tenant(activity: Activity) -> str:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant")
    if isinstance(tenant, dict) and isinstance(tenant.get("id"), str):
        return str(tenant["id"])
    if activity.conversation is not None and activity.conversation.tenant_id:
        return str(activity.conversation.tenant_id)
    raise BadActivity("no tenant")


def _mentions_as_ids(activity: Activity, bot_id: str) -> str:
    """The text with each person's `<at>Name</at>` replaced by their id (the core takes
    `owner:` as an id); the bot's own mention is dropped by `command_text`."""
    said = activity.text or ""
    for entity in activity.entities or []:
        mentioned = getattr(entity, "mentioned", None)
        tag = getattr(entity, "text", None)
        if mentioned is None or not isinstance(tag, str) or mentioned.id == bot_id:
            continue
        if isinstance(mentioned.id, str) and _ID.fullmatch(mentioned.id):
            said = said.replace(tag, mentioned.id)
    return said


def command_text(text: str) -> str:
    """The words after the bot's mention, as plain text (`/` before the command accepted)."""
    plain = _TAG.sub("", _MENTION.sub("", text)).replace("&nbsp;", " ")
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    return plain[1:] if plain.startswith("/") else plain
