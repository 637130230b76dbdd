"""One process serving Slack and Teams: one database, one set of timers, each timer firing
once on the platform its workspace lives on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from freezegun import freeze_time

from bot import decisions
from bot.config import load_settings
from bot.core import build_core
from bot.vocabulary import DecisionStatus
from handlers.slack.app import build_app, build_client
from handlers.teams.runtime import build_teams
from handlers.web import HttpServer
from tests.conftest import SIGNING_SECRET, TEAM, RunningBot, bot_env
from tests.handlers.slack.decision_helpers import OWNER, propose
from tests.signed import SignedClient
from tests.slack_double import SlackDouble
from tests.teams_double import CHANNEL, TeamsDouble, mention_message


class BothBot(RunningBot):
    """The Slack bot of the Slack tests, with Teams served by the same process and server."""

    teams_double: TeamsDouble

    def start(self) -> None:
        self.settings = load_settings(self.env, mode="http", port=0)
        self.core = build_core(self.settings)
        app = build_app(self.settings, self.core, client=build_client(self.settings))
        self.teams = build_teams(self.settings, self.core, timeout=2.0, update_interval=0.05)
        self.server = HttpServer(app, self.core, host="127.0.0.1", port=0, teams=self.teams)
        self.server.start_in_thread()
        self.client = SignedClient(
            self.url, SIGNING_SECRET, team_id=TEAM, response_base=f"{self.slack.base_url}/response"
        )

    @property
    def teams_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/api/messages"


@pytest.fixture
def both(slack: SlackDouble, teams: TeamsDouble, sqlite_url: str) -> Iterator[BothBot]:
    env = bot_env(slack, sqlite_url, TEAMS_ANONYMOUS="true", HOST="127.0.0.1")
    running = BothBot(slack, sqlite_url, env)
    yield running
    running.stop()


def test_each_timer_fires_once_on_its_own_platform(both: BothBot, teams: TeamsDouble) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        _, slack_decision = propose(both, "Slack launches closes:2h")
        status, _ = teams.send(
            both.teams_url, mention_message(teams, "decide Teams launches closes:2h")
        )
        assert status == 202
        teams_poll = teams.posts(CHANNEL)[0]
        assert "Teams launches" in teams_poll.card_text
        assert both.run_timers() == 0
        clock.move_to("2026-12-01 11:00:01")
        assert both.run_timers() == 2
        # The Slack owner is reminded on Slack, the Teams owner in Teams: once each.
        slack_dm = both.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params["channel"] == f"D{OWNER}"
        )
        assert len(slack_dm) == 1 and "Teams launches" not in str(slack_dm[0].params)
        teams_dm = teams.posts(teams.chat_of("29:ana"))
        assert len(teams_dm) == 1 and "Voting time for **D-1**" in teams_dm[0].card_text
        assert "Slack launches" not in str([c.body for c in teams.calls])
        assert both.run_timers() == 0
    # One database: both decisions are there, each in its own workspace as D-1.
    slack_snap = decisions.load(both.core, team_id="T0TEST", decision_id=slack_decision)
    teams_snap = decisions.load(both.core, team_id="tenant-1", decision_id=slack_decision + 1)
    assert (slack_snap.label, teams_snap.label) == ("D-1", "D-1")
    assert teams_snap.decision.status == DecisionStatus.VOTING
