"""One process serving Slack and Teams: one database, one set of timers, each timer firing
once on the platform its workspace lives on."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

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
from tests.teams_double import BOT, CHANNEL, TeamsDouble, mention_message


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


def test_a_reading_period_ends_the_same_on_slack_and_teams(
    both: BothBot, teams: TeamsDouble
) -> None:
    """The same reading period through both doubles: two expected readers, three thread
    replies (one edited, one deleted), 👍 given and taken back, a private question, a second
    click; both digests rank the same questions in the same order with the same counts."""
    from bot import meetings
    from tests.handlers.slack import test_narratives_e2e as slack_side
    from tests.teams_double import (
        activity,
        click,
        in_thread,
        message_delete,
        message_reaction,
        message_update,
        task,
        thread_reply,
    )

    slack_people = dict(
        zip("ABCD", (slack_side.ANA, slack_side.BEN, slack_side.CAT, "U0DAN"), strict=True)
    )
    teams_people = dict(zip("ABCD", ("29:ana", "29:ben", "29:cy", "29:dan"), strict=True))
    texts = {"A": "What about EMEA?", "B": "Why March?", "C": "typo"}

    def outcome(team: str, narrative_id: int) -> list[tuple[str, bool, int]]:
        digest = meetings.build_digest(core=both.core, team_id=team, narrative_id=narrative_id)
        assert digest is not None and digest.progress.everyone_done
        return [(q.text, q.author is None, q.upvotes) for q in digest.questions]

    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        # Slack.
        a, b = slack_people["A"], slack_people["B"]
        posted = slack_side.start(both, f"20m <@{a}> <@{b}> Q3 pricing")
        ts = slack_side.message_ts(both, posted)
        slack_id = int(slack_side.narrative_row(both).id or 0)
        sent = {}
        for key, text in texts.items():
            clock.tick(timedelta(seconds=5))
            sent[key] = slack_side.reply_in_thread(both, ts, slack_people[key], text)
        slack_side.eventually(lambda: len(slack_side.questions(both)) == 3)
        slack_side.edit(both, ts, sent["B"], b, "Why March, not April?")
        slack_side.delete(both, ts, sent["C"], slack_people["C"])
        for key, target, added in (("A", "B", True), ("C", "B", True), ("D", "A", True)):
            slack_side.react(both, sent[target], slack_people[key], added=added)
        slack_side.eventually(lambda: slack_side.upvotes(both) == 3)
        slack_side.react(both, sent["A"], slack_people["D"], added=False)
        slack_side.eventually(lambda: slack_side.upvotes(both) == 2)
        clock.tick(timedelta(seconds=5))
        slack_side.ask_privately(both, slack_id, slack_people["D"], "Is this funded?", ts)
        slack_side.eventually(lambda: len(slack_side.questions(both)) == 4)
        for key in ("A", "A", "B"):
            slack_side.press(both, "narrative_done", slack_id, slack_people[key], ts)
        slack_side.eventually(lambda: slack_side.digest_messages(both, ts))

        # Teams.
        def send(made: dict[str, Any]) -> Any:
            status, body = teams.send(both.teams_url, made)
            assert status in (200, 202)
            return body

        def person(key: str) -> dict[str, str]:
            return {"user": teams_people[key], "user_name": key}

        mentions = [{"type": "mention", "text": "<at>Narrative</at>", "mentioned": {"id": BOT}}]
        for key in "AB":
            tag = f"<at>{key}</at>"
            mentions.append(
                {"type": "mention", "text": tag, "mentioned": {"id": teams_people[key]}}
            )
        send(
            activity(
                teams,
                "message",
                text="<at>Narrative</at> narrative 20m <at>A</at> <at>B</at> Q3 pricing",
                entities=mentions,
                user="29:owner",
            )
        )
        card = teams.wait_for(lambda: teams.posts(CHANNEL))[0]
        card_id = card.answered_id
        assert card_id is not None
        both.teams.answers.wait_idle()
        teams_id = slack_id + 1
        for key, text in texts.items():
            clock.tick(timedelta(seconds=5))
            send(thread_reply(teams, card_id, text, id=f"m-{key}", **person(key)))
        there = {"conversation": in_thread(card_id)}
        send(message_update(teams, "m-B", "Why March, not April?", **there, **person("B")))
        send(message_delete(teams, "m-C", **there, **person("C")))
        for key, target, added in (
            ("A", "B", True),
            ("C", "B", True),
            ("D", "A", True),
            ("D", "A", False),
        ):
            send(message_reaction(teams, f"m-{target}", added=added, **there, **person(key)))
        clock.tick(timedelta(seconds=5))
        ask = {"verb": "narrative_ask", "narrative": teams_id, "question": "Is this funded?"}
        send(task(teams, "task/submit", ask, **person("D")))
        for key in ("A", "A", "B"):
            data = {"narrative": teams_id}
            send(click(teams, "narrative_done", data, reply_to=card_id, **person(key)))
        both.teams.answers.wait_idle()
        teams_digest = teams.wait_for(
            lambda: [c for c in teams.posts(CHANNEL) if c.activity_id == card_id]
        )

    expected = [
        ("Why March, not April?", False, 2),
        ("What about EMEA?", False, 0),
        ("Is this funded?", True, 0),
    ]
    assert outcome("T0TEST", slack_id) == outcome("tenant-1", teams_id) == expected
    slack_text = slack_side.all_text(slack_side.blocks_of(slack_side.digest_messages(both, ts)[0]))
    (teams_message,) = teams_digest
    for shown in (slack_text, teams_message.card_text):
        order = [shown.index(text) for text, _private, _votes in expected]
        assert order == sorted(order) and "typo" not in shown
        assert "3 questions" in shown and "2 of 2 expected readers finished" in shown
    assert len(slack_side.digest_messages(both, ts)) == 1
