"""Event listeners. Every event type and message subtype the manifest subscribes to has one:
Bolt answers an unmatched event with 404, which Slack counts as a failure and retries."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.core import Core
from handlers.slack.api import team_id_of
from handlers.slack.events import narratives, reflections

log = logging.getLogger(__name__)


def register(app: App, core: Core) -> None:
    # `app.event("message")` matches every subtype (message_changed, message_deleted,
    # bot_message, channel_join, ...), so none of them is left unmatched.
    app.event("message")(partial(on_message, core=core))
    app.event("reaction_added")(partial(on_reaction, core=core, added=True))
    app.event("reaction_removed")(partial(on_reaction, core=core, added=False))


def on_message(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, *, core: Core
) -> None:
    log.debug("message event subtype=%s", event.get("subtype"))
    team_id = team_id_of(body)
    # A thread reply belongs to at most one narrative or reflection round.
    if narratives.on_message(event, core, client, team_id=team_id):
        return
    reflections.on_message({**event, "team": team_id}, core, client)


def on_reaction(event: dict[str, Any], body: dict[str, Any], *, core: Core, added: bool) -> None:
    log.debug("reaction %s %s", "added" if added else "removed", event.get("reaction"))
    narratives.on_reaction(event, added, core, team_id=team_id_of(body))
