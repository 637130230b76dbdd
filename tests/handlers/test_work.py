"""Slow work after an acknowledgement queues on the work threads, so acknowledgements never
wait behind it; a failure there is reported like any listener's."""

from __future__ import annotations

import logging

import pytest

from bot import decisions
from handlers.app import LISTENER_THREADS
from handlers.errors import GENERIC_ERROR
from handlers.work import WORK_THREADS
from tests.conftest import RunningBot


def test_requests_are_acknowledged_while_the_work_queue_is_backed_up(bot: RunningBot) -> None:
    # Slack answers no chat.postMessage for now: every work thread is stuck posting a poll.
    holds = [bot.slack.hold_next("chat.postMessage") for _ in range(WORK_THREADS)]
    for i in range(WORK_THREADS):
        assert bot.client.command("/decide", f"Stuck proposal {i}").status == 200
    for hold in holds:
        assert hold.reached.wait(5), "the work threads are all waiting on Slack"

    # More requests than there are listener threads: each is still answered (Bolt answers 404
    # after 3 s when a listener cannot even start), and its work queues.
    for i in range(LISTENER_THREADS + 3):
        assert bot.client.command("/decide", f"Queued proposal {i}").status == 200

    for hold in holds:
        hold.release()
    posted = bot.slack.wait_for("chat.postMessage", WORK_THREADS + LISTENER_THREADS + 3)
    assert len({c.params["text"] for c in posted}) == len(posted), "each poll posted once"


def test_work_that_fails_is_logged_and_the_user_told_privately(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(decisions, "propose", broken)
    reply = bot.client.command(
        "/decide", "We ship on Friday", response_url=bot.slack.response_url()
    )
    assert reply.status == 200
    [told] = bot.slack.wait_for("response_url", predicate=lambda c: c.params["_id"] == "r1")
    assert told.params["text"] == GENERIC_ERROR and told.params["response_type"] == "ephemeral"
    failures = [r for r in caplog.records if r.name == "narrative.errors"]
    assert failures and failures[0].levelno == logging.ERROR
    assert "what=/decide" in failures[0].getMessage()
    assert "database on fire" not in told.params["text"]
