"""Stopping the bot lets acknowledged work finish before the database closes: a poll whose
`/decide` was acknowledged is posted and its message stored, even when Slack is slow."""

from __future__ import annotations

import threading

from sqlmodel import select

from storage.db import session_scope
from storage.models import Decision
from tests.conftest import RunningBot


def test_stopping_waits_for_acknowledged_work(bot: RunningBot) -> None:
    hold = bot.slack.hold_next("chat.postMessage")
    reply = bot.client.command("/decide", "We move the offsite to May")
    assert reply.status == 200  # acknowledged; the poll is posted after the ack
    assert hold.reached.wait(5), "the listener is posting the poll"

    stopping = threading.Thread(target=bot.stop)
    stopping.start()
    stopping.join(timeout=0.5)
    assert stopping.is_alive(), "stop() must wait while acknowledged work is unfinished"
    hold.release()
    stopping.join(timeout=10)
    assert not stopping.is_alive()

    with session_scope(bot.core.engine) as session:
        decisions = session.exec(select(Decision)).all()
    assert [d.proposal for d in decisions] == ["We move the offsite to May"]
    assert decisions[0].poll_ts == hold.payload["ts"], "the posted poll's ts was stored"
    bot.start()  # the fixture stops it again
