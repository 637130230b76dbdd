"""One process serving Slack and Teams: one database, one set of timers, each timer firing
once on the platform its workspace lives on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot import decisions
from bot.config import load_settings
from bot.core import build_core
from bot.vocabulary import DecisionStatus
from handlers.slack.app import build_app, build_client
from handlers.teams.runtime import build_teams
from handlers.web import HttpServer
from storage.db import session_scope
from storage.models import Decision, Review
from tests.conftest import SIGNING_SECRET, TEAM, RunningBot, bot_env
from tests.handlers.slack.decision_helpers import OWNER, propose
from tests.signed import SignedClient
from tests.slack_double import SlackDouble
from tests.teams_double import BOT, CHANNEL, TENANT, TeamsDouble, mention_message, task


class BothBot(RunningBot):
    """The Slack bot of the Slack tests, with Teams served by the same process and server."""

    teams_double: TeamsDouble
    files_dir: Path | None = None  # where Teams' file offers wait (a test's own folder)

    def start(self) -> None:
        self.settings = load_settings(self.env, mode="http", port=0)
        self.core = build_core(self.settings)
        app = build_app(self.settings, self.core, client=build_client(self.settings))
        self.teams = build_teams(
            self.settings,
            self.core,
            timeout=2.0,
            update_interval=0.05,
            files_dir=self.files_dir,
        )
        self.server = HttpServer(app, self.core, host="127.0.0.1", port=0, teams=self.teams)
        self.server.start_in_thread()
        self.client = SignedClient(
            self.url, SIGNING_SECRET, team_id=TEAM, response_base=f"{self.slack.base_url}/response"
        )

    @property
    def teams_url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/api/messages"


@pytest.fixture
def both(
    slack: SlackDouble, teams: TeamsDouble, sqlite_url: str, tmp_path: Path
) -> Iterator[BothBot]:
    env = bot_env(slack, sqlite_url, TEAMS_ANONYMOUS="true", HOST="127.0.0.1")
    BothBot.files_dir = tmp_path / "offers"
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


def test_a_reflection_round_agrees_on_slack_and_teams(both: BothBot, teams: TeamsDouble) -> None:
    """The same round on both platforms: one answer in the form, one thread reply naming
    question 2, the round closing with one digest counting 2 of 3 channel members."""
    from sqlmodel import select

    from storage.db import session_scope
    from storage.models import ReflectionAnswer, ReflectionRound
    from tests.teams_double import task, thread_reply

    slack_channel, tenant = "C0GENERAL", "tenant-1"
    both.slack.channel_members[slack_channel] = ["U0ALICE", "U0BOB", "U0CAROL"]
    teams.members[CHANNEL] = [{"id": p, "name": p[3:]} for p in ("29:ana", "29:ben", "29:cy")]

    def round_of(team: str) -> ReflectionRound:
        with session_scope(both.core.engine) as session:
            rows = select(ReflectionRound).where(ReflectionRound.team_id == team)
            return session.exec(rows).one()

    def answers_of(team: str) -> list[tuple[int | None, str, str]]:
        with session_scope(both.core.engine) as session:
            rows = select(ReflectionAnswer).where(ReflectionAnswer.team_id == team)
            found = session.exec(rows.order_by(ReflectionAnswer.id))
            return [(a.question_index, a.text, a.source) for a in found]

    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        assert both.client.command("/reflect", "now").status == 200
        status, _ = teams.send(both.teams_url, mention_message(teams, "reflect now"))
        assert status == 202
        both.wait_idle()
        slack_round, teams_round = round_of(TEAM), round_of(tenant)
        assert slack_round.message_ts and teams_round.message_ts
        # Bob / Ben answer the first question in the form (the Slack modal, the Teams dialog).
        modal = {"q0": {"answer": {"type": "plain_text_input", "value": "We moved too fast"}}}
        reply = both.client.view_submission(
            "reflection_answers", modal, private_metadata=str(slack_round.id), user_id="U0BOB"
        )
        assert reply.status == 200
        dialog = {"verb": "reflection_answer", "round": teams_round.id, "q0": "We moved too fast"}
        status, body = teams.send(both.teams_url, task(teams, "task/submit", dialog, user="29:ben"))
        assert "Saved your answers to 1 of 9 questions" in body["task"]["value"]
        # Carol / Cy reply in the round's thread, answering question 2.
        both.client.message(
            slack_channel, "2. Weekly demos", user="U0CAROL", thread_ts=slack_round.message_ts
        )
        reply_in_thread = thread_reply(
            teams, teams_round.message_ts, "2. Weekly demos", user="29:cy"
        )
        assert teams.send(both.teams_url, reply_in_thread)[0] == 202
        both.wait_idle()
        expected = [(0, "We moved too fast", "modal"), (1, "Weekly demos", "thread")]
        assert answers_of(TEAM) == answers_of(tenant) == expected

        clock.move_to("2026-12-03 09:00:01")
        assert both.run_timers() == 2
        both.wait_idle()
        slack_digests = [
            c
            for c in both.slack.calls("chat.postMessage")
            if c.params.get("thread_ts") == slack_round.message_ts
        ]
        teams_digests = [c for c in teams.posts(CHANNEL) if c.activity_id == teams_round.message_ts]
        assert len(slack_digests) == len(teams_digests) == 1
        counted = "2 of 3 channel members answered"
        assert counted in str(slack_digests[0].params) and counted in teams_digests[0].card_text
        assert round_of(TEAM).member_count == round_of(tenant).member_count == 3
        assert both.run_timers() == 0


def _announcement_words(text: str) -> str:
    """What a review's announcement says, without either platform's markup or mention form."""
    text = re.sub(r"<@[A-Z0-9]+>|<at>[^<]*</at>", "@owner", text).replace("*", "")
    return " ".join(text.split())


def _review_outcome(both: BothBot, team_id: str) -> tuple[object, ...]:
    with session_scope(both.core.engine) as session:
        rows = session.exec(
            select(Decision).where(Decision.team_id == team_id).order_by(Decision.number)
        ).all()
        review = session.exec(select(Review).where(Review.team_id == team_id)).one()
        return (
            [(d.number, d.status, d.final_text or d.proposal, d.confidence) for d in rows],
            (review.outcome, review.learned, review.actual_confidence, review.new_text),
        )


def test_a_review_answered_amend_agrees_on_slack_and_teams(
    both: BothBot, teams: TeamsDouble
) -> None:
    logged = "log We move support to EU hours confidence:40%"
    amended = "We move support to EU and US hours"
    learned = "US customers wait too long"
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:  # a Tuesday
        assert both.client.command("/decisions", logged, user_id=OWNER).status == 200
        teams.send(both.teams_url, mention_message(teams, f"decisions {logged}"))
        teams_record = teams.wait_for(lambda: teams.posts(CHANNEL))[0]
        # 30 days later (40% confidence), in working hours: each owner's review message.
        clock.move_to("2026-12-31 09:00:01")
        assert both.run_timers() == 2
        both.slack.wait_for("chat.postMessage", predicate=lambda c: "review_amend" in str(c.params))
        teams.wait_for(
            lambda: [
                c for c in teams.posts(teams.chat_of("29:ana")) if "review_amend" in str(c.card)
            ]
        )
        # Amend on Slack: the button opens the form; its submission records the answer.
        slack_review = _review_id(both, TEAM)
        both.client.block_action("review_amend", str(slack_review), user_id=OWNER)
        both.slack.wait_for("views.open")
        values = {
            "new_text": {"value": {"type": "plain_text_input", "value": amended}},
            "learned": {"value": {"type": "plain_text_input", "value": learned}},
            "actual": {"value": {"type": "static_select", "selected_option": {"value": "30"}}},
        }
        meta = json.dumps({"review": slack_review, "outcome": "amend"})
        both.client.view_submission("review_change", values, private_metadata=meta, user_id=OWNER)
        # Amend in Teams: the button opens the dialog; its submission records the answer.
        teams_review = _review_id(both, TENANT)
        fetch = {"verb": "review_amend", "review": teams_review}
        _, opened = teams.send(both.teams_url, task(teams, "task/fetch", fetch))
        assert opened["task"]["type"] == "continue"
        answer = {**fetch, "new_text": amended, "learned": learned, "actual": "30"}
        assert teams.send(both.teams_url, task(teams, "task/submit", answer)) == (200, None)
        slack_note = both.slack.wait_for(
            "chat.postMessage",
            predicate=lambda c: (
                c.params.get("thread_ts") is not None and "Review of" in str(c.params.get("text"))
            ),
        )[0]
        assert slack_note.params["thread_ts"] == _record_ts(both, TEAM)
        teams_note = teams.wait_for(
            lambda: [
                c
                for c in teams.posts(CHANNEL)
                if c.activity_id == teams_record.answered_id and "Review of" in c.card_text
            ]
        )[0]
    slack_words = _announcement_words(str(slack_note.params["text"]))
    teams_words = _announcement_words(" ".join(b["text"] for b in teams_note.card["body"]))
    assert slack_words == teams_words
    assert slack_words.startswith("Review of D-1: amended by @owner. Replaced by D-2:")
    assert _review_outcome(both, TEAM) == _review_outcome(both, TENANT)
    assert _review_outcome(both, TENANT)[0] == [
        (1, DecisionStatus.AMENDED, "We move support to EU hours", 40),
        (2, DecisionStatus.ACTIVE, amended, 30),
    ]


def _review_id(both: BothBot, team_id: str) -> int:
    with session_scope(both.core.engine) as session:
        return int(session.exec(select(Review).where(Review.team_id == team_id)).one().id or 0)


def _record_ts(both: BothBot, team_id: str) -> str | None:
    """Where the logged decision was announced: its thread."""
    with session_scope(both.core.engine) as session:
        return session.exec(
            select(Decision.record_ts).where(Decision.team_id == team_id, Decision.number == 1)
        ).one()


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


def test_an_export_holds_the_same_rows_on_slack_and_teams(
    both: BothBot, teams: TeamsDouble
) -> None:
    """The same decision logged on each platform, then exported: the workbooks agree on every
    column but the ones that name the platform's own places, people and links; the Channel
    column agrees in form (`#` and the channel's name as each platform shows it)."""
    import io

    from openpyxl import load_workbook

    from tests.teams_double import file_consent, in_team

    logged = "decisions log We ship daily confidence:70% door:two-way review:2027-03-01"
    teams.channels[CHANNEL] = [{"id": CHANNEL}]  # Teams lists General without a name
    with freeze_time("2026-12-01 09:00:00", tick=True):
        assert both.client.command("/decisions", logged[len("decisions ") :]).status == 200
        in_general = mention_message(teams, logged)
        in_general["channelData"] = in_team()
        assert teams.send(both.teams_url, in_general)[0] == 202
        both.wait_idle()
        both.teams.answers.wait_idle()
        assert both.client.command("/decisions", "export").status == 200
        [slack_file] = both.slack.wait_for("files.completeUploadExternal", timeout=20)
        assert teams.send(both.teams_url, mention_message(teams, "decisions export"))[0] == 202

        def consent_card() -> list[dict[str, Any]]:
            return [
                a
                for c in teams.posts(teams.chat_of("29:ana"))
                for a in (c.body or {}).get("attachments") or []
                if a.get("contentType") == "application/vnd.microsoft.teams.card.file.consent"
            ]

        card = teams.wait_for(consent_card)[0]
        accept = file_consent(teams, "accept", card["content"]["acceptContext"], name=card["name"])
        assert teams.send(both.teams_url, accept)[0] == 200
        teams.wait_for(lambda: card["name"] in teams.uploads)

    files = json.loads(slack_file.params["files"])
    slack_rows = _sheet(load_workbook(io.BytesIO(both.slack.uploads[files[0]["id"]])))
    teams_rows = _sheet(load_workbook(io.BytesIO(teams.uploads[card["name"]])))
    assert slack_rows.keys() == teams_rows.keys()
    platform_own = {"Channel", "Owner", "Proposed by", "Thread", "Decided by"}
    same = {k: v for k, v in slack_rows.items() if k not in platform_own}
    assert same == {k: v for k, v in teams_rows.items() if k not in platform_own}
    assert same["Decision"] == "We ship daily" and same["Confidence"] in (70, "70%", 0.7)
    assert teams_rows["Channel"] == "#General"
    assert str(slack_rows["Channel"]).startswith("#") and slack_rows["Channel"] != "#"
    assert (slack_rows["Thread"], teams_rows["Thread"]) in (
        ("Open in Slack", "Open in Teams"),
        (None, None),
    )


def _sheet(workbook: Any) -> dict[str, object]:
    """The Decisions sheet's only row, by column header."""
    rows = list(workbook["Decisions"].iter_rows(values_only=True))
    assert len(rows) == 2, rows
    return dict(zip(rows[0], rows[1], strict=True))
