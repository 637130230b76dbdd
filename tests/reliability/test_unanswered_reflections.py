"""Reflection rounds and their digests when Slack answers a post after the client gave up: the
message is in the channel (or thread), and the bot finds it by its marker instead of posting it
twice; a long digest takes as many messages as Slack needs, each posted once."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.reflections import STANDARD_QUESTIONS
from storage.db import session_scope
from storage.models import ReflectionRound
from tests.conftest import RunningBot, bot_env
from tests.handlers.slack.decision_helpers import wait_until
from tests.reliability.test_unanswered_posts import told_something_failed, top_level
from tests.slack_double import SlackDouble

CHANNEL, ALICE = "C0GENERAL", "U0ALICE"
ANSWERERS = ("U0BOB", "U0CAROL")
PART = re.compile(r"Reflection digest \((\d+) of (\d+)\)")


@pytest.fixture
def slow_bot(slack: SlackDouble, tmp_path: Path) -> Iterator[RunningBot]:
    """A bot whose Slack client gives up after 1 second (10 in production)."""
    url = f"sqlite:///{tmp_path / 'slow.db'}"
    running = RunningBot(slack, url, bot_env(slack, url, SLACK_TIMEOUT_SECONDS="1"))
    yield running
    running.stop()


def the_round(bot: RunningBot) -> ReflectionRound:
    with session_scope(bot.core.engine) as session:
        [row] = session.exec(select(ReflectionRound))
        return row


def reflect_now(bot: RunningBot) -> None:
    reply = bot.client.command(
        "/reflect", "now for 1d", user_id=ALICE, response_url=bot.slack.response_url()
    )
    assert reply.status == 200


def in_thread(slack: SlackDouble, ts: str) -> list[dict[str, object]]:
    return [m for (_c, _ts), m in slack.messages.items() if m["thread_ts"] == ts]


def parts_in(slack: SlackDouble, ts: str) -> Counter[tuple[int, int]]:
    """Which digest parts, (index, count), the thread holds, and how often."""
    found = [PART.search(str(m.get("text"))) for m in in_thread(slack, ts)]
    return Counter((int(m.group(1)), int(m.group(2))) for m in found if m)


def test_a_round_slack_answers_after_the_timeout_is_found_and_not_posted_again(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    with freeze_time("2026-12-07 10:00:00", tick=True) as clock:
        hold = slack.hold_next("chat.postMessage")
        try:
            reflect_now(bot)
            assert hold.reached.wait(5)
            [ts] = top_level(slack)
            # The client gives up after 1 s; the bot then finds the round in the channel.
            wait_until(lambda: the_round(bot).message_ts is not None, what="round ts stored")
            assert the_round(bot).message_ts == ts
            assert slack.calls("conversations.history")
        finally:
            hold.release()
        assert not told_something_failed(slack, ALICE)
        clock.tick(120)
        bot.run_timers()
        assert top_level(slack) == [ts], "the round exists once"


def test_an_unconfirmed_round_is_confirmed_by_its_timer_and_closes_with_its_digest(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    with freeze_time("2026-12-07 10:00:00", tick=True) as clock:
        post = slack.hold_next("chat.postMessage")
        look = slack.hold_next("conversations.history")
        try:
            reflect_now(bot)
            # Neither the post nor the look-up is answered in time: the person is told the
            # round is being confirmed, not that it failed.
            slack.wait_for(
                "response_url", predicate=lambda c: "slow to confirm" in str(c.params.get("text"))
            )
        finally:
            post.release()
            look.release()
        assert not told_something_failed(slack, ALICE)
        [ts] = top_level(slack)
        assert the_round(bot).message_ts is None

        # freezegun's tick() moves to start + 61 s, dropping the real time that ticked by
        # meanwhile (client time-outs, a loaded machine): step well past the timer's minute.
        clock.tick(120)
        bot.restart()
        assert bot.run_timers() == 1
        assert the_round(bot).message_ts == ts
        assert top_level(slack) == [ts], "found, not posted again"
        assert bot.run_timers() == 0

        # The round it found closes with its digest in its thread.
        clock.move_to("2026-12-08 10:00:01")
        assert bot.run_timers() == 1
        [digest] = in_thread(slack, ts)
        assert "Reflection digest" in str(digest["text"])


def test_a_scheduled_round_unanswered_is_looked_for_by_its_retry_and_posted_once(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    with freeze_time("2026-12-06 12:00:00", tick=True) as clock:  # a Sunday
        reply = bot.client.command(
            "/reflect", "every monday 09:00", user_id=ALICE, response_url=slack.response_url()
        )
        assert reply.status == 200
        slack.wait_for("response_url", predicate=lambda c: "every Monday" in str(c.params))
        post = slack.hold_next("chat.postMessage")
        look = slack.hold_next("conversations.history")
        clock.move_to("2026-12-07 08:00:00")  # Monday 09:00 in Berlin, Alice's time zone
        try:
            assert bot.run_timers() == 1  # unconfirmed: the timer fails and is retried
        finally:
            post.release()
            look.release()
        [ts] = top_level(slack)
        assert the_round(bot).message_ts is None

        clock.move_to("2026-12-07 08:01:00")  # the retry, after its back-off
        assert bot.run_timers() == 1
        assert the_round(bot).message_ts == ts
        assert top_level(slack) == [ts], "found, not posted again"


def answer_at_length(bot: RunningBot, round_id: int) -> list[str]:
    """Every answerer answers every question at length; the answers, to find them later."""
    said = []
    for person in ANSWERERS:
        values = {}
        for i in range(len(STANDARD_QUESTIONS)):
            text = f"{person} on {i}: " + "lesson " * 250
            said.append(text.strip())
            values[f"q{i}"] = {"answer": {"type": "plain_text_input", "value": text}}
        reply = bot.client.view_submission(
            "reflection_answers", values, private_metadata=str(round_id), user_id=person
        )
        assert reply.status == 200
    return said


def test_a_long_digest_takes_several_messages_and_a_part_answered_late_is_not_posted_twice(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    with freeze_time("2026-12-07 10:00:00", tick=True) as clock:
        reflect_now(bot)
        wait_until(lambda: the_round(bot).message_ts is not None, what="round posted")
        row = the_round(bot)
        ts, round_id = str(row.message_ts), int(row.id or 0)
        said = answer_at_length(bot, round_id)

        # Slack takes part 2 but answers after the client's timeout, and the look in the
        # thread is not answered in time either: the close timer fails and is retried.
        post = slack.hold_next(
            "chat.postMessage", when=lambda p: "Reflection digest (2 of" in str(p.get("text"))
        )
        look = slack.hold_next("conversations.replies")
        clock.move_to("2026-12-08 10:00:01")
        try:
            assert bot.run_timers() == 1
        finally:
            post.release()
            look.release()
        first = parts_in(slack, ts)
        count = next(iter(first))[1]
        assert count >= 3
        assert first == Counter({(1, count): 1, (2, count): 1})
        assert the_round(bot).digest_ts is None

        clock.move_to("2026-12-08 10:01:00")  # the timer's retry looks before posting
        assert bot.run_timers() == 1
        assert parts_in(slack, ts) == Counter({(i, count): 1 for i in range(1, count + 1)})
        assert the_round(bot).digest_ts is not None
        clock.move_to("2026-12-08 12:00:00")
        assert bot.run_timers() == 0
        assert len(in_thread(slack, ts)) == count

    # Each message stays within Slack's limits and nothing is cut.
    shown = []
    for message in in_thread(slack, ts):
        blocks = message["blocks"]
        assert isinstance(blocks, list) and len(blocks) <= 50
        for block in blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
                shown.append(block["text"]["text"])
    everything = json.dumps(shown)
    assert all(text.split(":")[0] in everything for text in said)
    assert everything.count("lesson") == sum(text.count("lesson") for text in said)
