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
from slack_bolt import Ack
from sqlmodel import select

from bot import decisions
from handlers.slack.app import LISTENER_THREADS, build_app
from handlers.slack.errors import GENERIC_ERROR
from handlers.slack.work import (
    BUSY,
    WORK_THREADS,
    LanePool,
    listener_pools,
    pool_for,
)
from handlers.web import HttpServer
from storage.db import read_scope
from storage.models import Decision
from tests.conftest import SIGNING_SECRET, RunningBot, bot_env
from tests.signed import SignedClient
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


def _until(condition: Any, timeout: float = 5.0) -> bool:
    """Wait for `condition()` to hold (the exact moment, checked often), at most `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_work_waits_for_the_end_of_a_burst_of_acknowledgements() -> None:
    pool = LanePool(threads=2, per_lane=1, name="test", yield_seconds=60, hold_seconds=60)
    ran = threading.Event()
    with pool.acknowledging.request():
        pool.submit("C1", ran.set)
        assert _until(lambda: pool.acknowledging.waiting == 1), "the job waits for a gap"
        assert not ran.is_set(), "no job runs while a request is being acknowledged"
    assert ran.wait(5), "it starts when the burst ends, not after 60 s"
    assert pool.drain(5) == 0


def test_one_job_runs_beside_acknowledgements_and_the_next_waits() -> None:
    # After `hold_seconds` (here none) of a burst, one job at a time runs beside it.
    pool = LanePool(threads=2, per_lane=1, name="test", yield_seconds=60, hold_seconds=0)
    running, release, ran = threading.Event(), threading.Event(), threading.Event()
    with pool.acknowledging.request():
        pool.submit("C1", lambda: (running.set(), release.wait(10)))
        assert running.wait(5), "one job runs beside a request being acknowledged"
        pool.submit("C2", ran.set)
        assert _until(lambda: pool.acknowledging.waiting == 1), "the next waits its turn"
        assert not ran.is_set(), "no second job starts while a request is being acknowledged"
    assert ran.wait(5), "it starts when the acknowledgement is done, not after 60 s"
    release.set()
    assert pool.drain(5) == 0


def test_the_next_job_starts_when_the_one_beside_acknowledgements_ends() -> None:
    pool = LanePool(threads=2, per_lane=1, name="test", yield_seconds=60, hold_seconds=0)
    release, ran = threading.Event(), threading.Event()
    with pool.acknowledging.request():
        pool.submit("C1", lambda: release.wait(10))
        pool.submit("C2", ran.set)
        assert _until(lambda: pool.acknowledging.waiting == 1)
        release.set()
        assert ran.wait(5), "its turn came when the first job ended"
    assert pool.drain(5) == 0


def test_work_waits_for_acknowledgements_only_so_long() -> None:
    pool = LanePool(threads=2, per_lane=1, name="test", yield_seconds=0.01, hold_seconds=0.01)
    release = threading.Event()
    done: list[int] = []
    with pool.acknowledging.request():  # a burst that never ends, beside a job that never ends
        pool.submit("C0", lambda: release.wait(10))
        for n in range(3):
            pool.submit("C1", lambda n=n: done.append(n))
        assert _until(lambda: len(done) == 3), "work goes on, later, during a long burst"
    assert done == [0, 1, 2], "in its lane's order"
    release.set()
    assert pool.drain(5) == 0


def test_a_request_is_being_acknowledged_until_its_listener_acks(bot: RunningBot) -> None:
    """The real app's middleware counts a request from its arrival to its acknowledgement."""
    app = build_app(bot.settings, bot.core)
    acknowledging = pool_for(bot.core).acknowledging
    counts: list[int] = []
    acked = threading.Event()

    @app.command("/probe")
    def probe(ack: Ack) -> None:
        counts.append(acknowledging.count)
        ack()
        acked.set()

    server = HttpServer(app, bot.core, host="127.0.0.1", port=0)
    server.start_in_thread()
    try:
        client = SignedClient(f"http://127.0.0.1:{server.port}/slack/events", SIGNING_SECRET)
        assert client.command("/probe", "").status == 200
        assert acked.wait(5)
        assert counts == [1], "being acknowledged while its listener runs"
        assert _until(lambda: acknowledging.count == 0), "and no more once answered"
    finally:
        server.close()
