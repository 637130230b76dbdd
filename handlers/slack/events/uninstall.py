"""`app_uninstalled` and `tokens_revoked` (distribution mode): the workspace's tokens are
removed, its cached client dropped and its timers stopped."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import App

from bot.core import Core
from bot.uninstall import workspace_uninstalled
from handlers.slack.api import team_id_of
from handlers.slack.installations import Installations


def register(app: App, core: Core, installations: Installations) -> None:
    listener = partial(on_uninstalled, core=core, installations=installations)
    app.event("app_uninstalled")(listener)
    app.event("tokens_revoked")(listener)


def on_uninstalled(
    event: dict[str, Any], body: dict[str, Any], *, core: Core, installations: Installations
) -> None:
    if event["type"] == "tokens_revoked" and not (event.get("tokens") or {}).get("bot"):
        return  # only user tokens: Narrative uses none
    team = team_id_of(body)
    installations.store.delete_all(enterprise_id=body.get("enterprise_id"), team_id=team)
    installations.forget(team)
    workspace_uninstalled(core, team)
