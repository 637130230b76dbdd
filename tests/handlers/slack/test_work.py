"""Slow work after an acknowledgement queues on the work threads, so acknowledgements never
wait behind it; a failure there is reported like any listener's. The queue is bounded: a full
one refuses new commands before acknowledging them, never work it acknowledged."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from bot import decisions
from handlers.slack.app import LISTENER_THREADS
from handlers.slack.errors import GENERIC_ERROR
from handlers.slack.work import BUSY, WORK_THREADS, LanePool, listener_pools
from storage.db import read_scope
from storage.models import Decision
from tests.conftest import RunningBot, bot_env
from tests.slack_double import SlackDouble


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


# --- the bound --------------------------------------------------------------------------------


def healthz(bot: RunningBot) -> dict[str, Any]:
    url = f"http://127.0.0.1:{bot.server.port}/healthz"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.fixture
def small_queue_bot(slack: SlackDouble, sqlite_url: str) -> Iterator[RunningBot]:
    running = RunningBot(slack, sqlite_url, bot_env(slack, sqlite_url, WORK_QUEUE_LIMIT="2"))
    yield running
    running.stop()


def test_a_full_queue_refuses_new_commands_and_finishes_what_it_acknowledged(
    small_queue_bot: RunningBot,
) -> None:
    bot = small_queue_bot
    assert healthz(bot)["work_queue"] == {"depth": 0, "limit": 2}
    # Slack answers no chat.postMessage for now: both threads of the channel are posting...
    holds = [bot.slack.hold_next("chat.postMessage") for _ in range(WORK_THREADS)]
    for i in range(WORK_THREADS):
        assert bot.client.command("/decide", f"Stuck proposal {i}").status == 200
    for hold in holds:
        assert hold.reached.wait(5), "the work threads are all waiting on Slack"
    # ...and two more proposals wait behind them: the queue is full.
    for i in range(2):
        assert bot.client.command("/decide", f"Queued proposal {i}").status == 200
    for pool in listener_pools(bot.core):
        assert pool.wait_idle(5), "the listeners have handed their work over"
    assert healthz(bot) == {"ok": True, "database": "up", "work_queue": {"depth": 2, "limit": 2}}

    started = time.monotonic()
    refused = bot.client.command("/decide", "One proposal too many")
    assert time.monotonic() - started < 3, "answered inside Slack's 3 seconds"
    assert refused.status == 200
    assert refused.json() == {"response_type": "ephemeral", "text": BUSY}

    for hold in holds:
        hold.release()
    bot.wait_idle(timeout=20)
    posted = {c.params["text"] for c in bot.slack.calls("chat.postMessage")}
    assert not any("too many" in text for text in posted), "a refused command does nothing"
    with read_scope(bot.core.engine) as session:
        proposals = sorted(d.proposal for d in session.exec(select(Decision)))
    assert proposals == [
        "Queued proposal 0",
        "Queued proposal 1",
        "Stuck proposal 0",
        "Stuck proposal 1",
    ], "every acknowledged proposal was stored, the refused one was not"
    assert healthz(bot)["work_queue"] == {"depth": 0, "limit": 2}


def test_room_in_the_queue_is_seen_as_soon_as_a_job_starts() -> None:
    pool = LanePool(threads=1, per_lane=1, name="test", limit=1)
    running, release = threading.Event(), threading.Event()
    pool.submit("C1", lambda: (running.set(), release.wait(10)))
    assert running.wait(5)
    pool.submit("C1", lambda: None)
    assert pool.depth == 1 and not pool.has_room()
    answers: list[float] = []

    def wait_for_room() -> None:
        started = time.monotonic()
        assert pool.has_room(60)
        answers.append(time.monotonic() - started)

    waiter = threading.Thread(target=wait_for_room)
    waiter.start()
    release.set()  # the queued job starts: there is room again
    waiter.join(60)
    assert len(answers) == 1 and answers[0] < 30, "woken when the job started, not at timeout"
    assert pool.depth == 0
    assert pool.drain(5) == 0
