"""Slack records the workspaces it serves as Slack ones, so that with several platforms in one
bot, timers and background work of a workspace reach it through Slack."""

from __future__ import annotations

from sqlmodel import select

from bot.vocabulary import PlatformName
from storage.db import read_scope
from storage.models import Workspace
from tests.conftest import TEAM, RunningBot
from tests.memory_port import MemoryPlatform


def _workspaces(bot: RunningBot) -> set[tuple[str, str]]:
    with read_scope(bot.core.engine) as session:
        return {(w.team_id, w.platform) for w in session.exec(select(Workspace))}


def test_a_request_records_its_workspace_as_slack(bot: RunningBot) -> None:
    assert _workspaces(bot) == set()
    assert bot.client.command("/decide", "help").status == 200
    assert bot.client.command("/decide", "help", team_id="T0SECOND").status == 200
    assert _workspaces(bot) == {(TEAM, "slack"), ("T0SECOND", "slack")}

    # With another platform beside Slack, the workspace still reaches Slack.
    playground = MemoryPlatform()
    playground.name = PlatformName.PLAYGROUND
    bot.core.add_platform(playground)
    assert bot.core.platform_for(TEAM) is bot.core.platforms[PlatformName.SLACK]
