"""Slack answering a post after the client gave up: the message is in the channel, and the bot
finds it (by the marker in its metadata) instead of orphaning it or posting it twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from freezegun import freeze_time

from handlers.slack.blocks.decisions import FINALIZE_VIEW
from handlers.slack.blocks.narratives import DONE
from handlers.slack.errors import GENERIC_ERROR
from storage.db import session_scope
from storage.models import Narrative
from tests.conftest import RunningBot, bot_env
from tests.handlers.slack.decision_helpers import (
    CHANNEL,
    OWNER,
    decision_row,
    ephemerals_to,
    opened_view,
    press_finalize,
    vote,
    wait_row,
    wait_until,
)
from tests.slack_double import SlackDouble

BEN = "U0BEN"


@pytest.fixture
def slow_bot(slack: SlackDouble, tmp_path: Path) -> Iterator[RunningBot]:
    """A bot whose Slack client gives up after 1 second (10 in production)."""
    url = f"sqlite:///{tmp_path / 'slow.db'}"
    running = RunningBot(slack, url, bot_env(slack, url, SLACK_TIMEOUT_SECONDS="1"))
    yield running
    running.stop()


def top_level(slack: SlackDouble, channel: str = CHANNEL) -> list[str]:
    """The ts of every message in the channel itself (not in threads)."""
    return [ts for (ch, ts), m in slack.messages.items() if ch == channel and not m["thread_ts"]]


def told_something_failed(slack: SlackDouble, user: str) -> bool:
    texts = ephemerals_to(slack, user) + [
        str(c.params.get("text")) for c in slack.calls("response_url")
    ]
    return any(GENERIC_ERROR in t or "could not" in t for t in texts)


def test_a_poll_slack_answers_after_the_timeout_is_found_voted_on_and_finalized(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    hold = slack.hold_next("chat.postMessage")
    try:
        reply = bot.client.command(
            "/decide",
            "We ship on Friday",
            user_id=OWNER,
            channel_id=CHANNEL,
            response_url=slack.response_url(),
        )
        assert reply.status == 200
        assert hold.reached.wait(5)
        [poll_ts] = top_level(slack)
        # The client gives up after 1 s; the bot then finds the poll in the channel.
        row = wait_row(bot, lambda d: d.poll_ts is not None)
        assert row.poll_ts == poll_ts
        assert slack.calls("conversations.history")
    finally:
        hold.release()
    decision_id = int(row.id or 0)
    assert top_level(slack) == [poll_ts], "the poll exists once"
    assert not told_something_failed(slack, OWNER)

    vote(bot, decision_id, poll_ts, BEN, "agree")
    slack.wait_for("chat.update", predicate=lambda c: c.params.get("ts") == poll_ts)
    wait_until(lambda: "1" in str(slack.messages[(CHANNEL, poll_ts)]["blocks"]))

    trigger = press_finalize(bot, decision_id, poll_ts, OWNER)
    view = opened_view(slack, trigger)
    # The record, in the poll's thread, is answered late too.
    hold = slack.hold_next("chat.postMessage", when=lambda p: p.get("thread_ts") == poll_ts)
    try:
        submitted = bot.client.view_submission(
            FINALIZE_VIEW,
            {"final_text": {"value": {"type": "plain_text_input", "value": "We ship on Friday"}}},
            private_metadata=view["private_metadata"],
            user_id=OWNER,
        )
        assert submitted.status == 200
        assert hold.reached.wait(5)
        [record_ts] = [ts for (_c, ts), m in slack.messages.items() if m["thread_ts"] == poll_ts]
        row = wait_row(bot, lambda d: d.record_ts is not None)
    finally:
        hold.release()
    assert row.status == "active" and row.record_ts == record_ts
    assert not told_something_failed(slack, OWNER)


def test_an_unconfirmed_poll_is_confirmed_by_its_timer_and_never_posted_twice(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        post = slack.hold_next("chat.postMessage")
        look = slack.hold_next("conversations.history")
        try:
            reply = bot.client.command(
                "/decide",
                "We ship on Friday",
                user_id=OWNER,
                channel_id=CHANNEL,
                response_url=slack.response_url(),
            )
            assert reply.status == 200
            # Neither the post nor the look-up is answered in time: the person is told the
            # poll is being confirmed, not that it failed.
            [told] = slack.wait_for(
                "response_url", predicate=lambda c: "slow to confirm" in str(c.params.get("text"))
            )
        finally:
            post.release()
            look.release()
        assert "slow to confirm" in told.params["text"]
        assert not told_something_failed(slack, OWNER)
        [poll_ts] = top_level(slack)
        assert decision_row(bot).poll_ts is None

        # freezegun's tick() moves to start + 61 s, dropping the real time that ticked by
        # meanwhile (client time-outs, a loaded machine): step well past the timer's minute.
        clock.tick(120)
        bot.restart()  # also after a restart
        assert bot.run_timers() == 1
        assert decision_row(bot).poll_ts == poll_ts
        assert top_level(slack) == [poll_ts], "found, not posted again"
        clock.tick(3600)
        assert bot.run_timers() == 0


def test_a_narrative_slack_answers_after_the_timeout_is_found_and_used(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    hold = slack.hold_next("chat.postMessage")
    try:
        reply = bot.client.command(
            "/narrative",
            "20m Q3 plan",
            user_id=OWNER,
            channel_id=CHANNEL,
            response_url=slack.response_url(),
        )
        assert reply.status == 200
        assert hold.reached.wait(5)
        [ts] = top_level(slack)

        def stored() -> str | None:
            with session_scope(bot.core.engine) as session:
                return session.get(Narrative, 1).message_ts  # type: ignore[union-attr]

        wait_until(lambda: stored() is not None, what="narrative ts stored")
        assert stored() == ts
    finally:
        hold.release()
    assert top_level(slack) == [ts]
    assert not told_something_failed(slack, OWNER)
    reply = bot.client.block_action(DONE, "1", user_id=BEN, channel_id=CHANNEL, message_ts=ts)
    assert reply.status == 200
    slack.wait_for("chat.update", predicate=lambda c: c.params.get("ts") == ts)


def test_an_unconfirmed_narrative_is_confirmed_by_its_timer_and_never_posted_twice(
    slow_bot: RunningBot,
) -> None:
    bot, slack = slow_bot, slow_bot.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        post = slack.hold_next("chat.postMessage")
        look = slack.hold_next("conversations.history")
        try:
            reply = bot.client.command(
                "/narrative",
                "20m Q3 plan",
                user_id=OWNER,
                channel_id=CHANNEL,
                response_url=slack.response_url(),
            )
            assert reply.status == 200
            [told] = slack.wait_for(
                "chat.postEphemeral",
                predicate=lambda c: "slow to confirm" in str(c.params.get("text")),
            )
        finally:
            post.release()
            look.release()
        assert "slow to confirm" in told.params["text"]
        assert not told_something_failed(slack, OWNER)
        [ts] = top_level(slack)

        # freezegun's tick() moves to start + 61 s, dropping the real time that ticked by
        # meanwhile (client time-outs, a loaded machine): step well past the timer's minute.
        clock.tick(120)
        bot.restart()
        assert bot.run_timers() == 1
        with session_scope(bot.core.engine) as session:
            narrative = session.get(Narrative, 1)
            assert narrative is not None
            assert narrative.message_ts == ts and narrative.state == "reading"
        assert top_level(slack) == [ts], "found, not posted again"
