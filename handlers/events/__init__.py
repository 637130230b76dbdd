"""Event listeners. Every event type and message subtype the manifest subscribes to has one:
Bolt answers an unmatched event with 404, which Slack counts as a failure and retries."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.core import Core
from handlers.events import narratives, reflections
from handlers.slack import team_id_of

log = logging.getLogger(__name__)


def register(app: App, core: Core) -> None:
    # `app.event("message")` matches every subtype (message_changed, message_deleted,
    # bot_message, channel_join, ...), so none of them is left unmatched.
    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        log.debug("message event subtype=%s", event.get("subtype"))
        team_id = team_id_of(body)
        # A thread reply belongs to at most one narrative or reflection round.
        if narratives.on_message(event, core, client, team_id=team_id):
            return
        reflections.on_message({**event, "team": team_id}, core, client)

    @app.event("reaction_added")
    def on_reaction_added(event: dict[str, Any], body: dict[str, Any]) -> None:
        log.debug("reaction_added %s", event.get("reaction"))
        narratives.on_reaction(event, True, core, team_id=team_id_of(body))

    @app.event("reaction_removed")
    def on_reaction_removed(event: dict[str, Any], body: dict[str, Any]) -> None:
        log.debug("reaction_removed %s", event.get("reaction"))
        narratives.on_reaction(event, False, core, team_id=team_id_of(body))
