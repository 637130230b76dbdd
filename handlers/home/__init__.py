"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.core import Core


def build_home_view() -> dict[str, Any]:
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Decision log"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Decisions made with `/decide` appear here."},
            },
        ],
    }


def register(app: App, core: Core) -> None:
    @app.event("app_home_opened")
    def app_home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        client.views_publish(user_id=event["user"], view=build_home_view())
