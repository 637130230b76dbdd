"""What a person was told succeeded survives a crash, and one channel's rate limit holds only
that channel's work."""

from __future__ import annotations

import threading
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine
from sqlmodel import Session, col, select

from handlers.slack.blocks.decisions import VOTE_ACTIONS
from storage.models import Decision, Vote
from tests.conftest import RunningBot, bot_env
from tests.handlers.slack.decision_helpers import CHANNEL, OWNER, wait_row, wait_until
from tests.process import BotProcess
from tests.slack_double import SlackDouble

CLICKS = 60
KILL_AFTER = 20
OTHER = "C0OTHER"


def test_every_acknowledged_vote_survives_kill_9(
    slack: SlackDouble, sqlite_url: str, tmp_path: Path
) -> None:
    bot = BotProcess(cwd=tmp_path, env=bot_env(slack, sqlite_url))
    bot.start().wait_ready()
    engine = create_engine(sqlite_url)
    try:
        reply = bot.client.command(
            "/decide",
            "We move the all-hands to Thursdays",
            user_id=OWNER,
            channel_id=CHANNEL,
            response_url=slack.response_url(),
        )
        assert reply.status == 200

        def poll() -> Decision | None:
            with Session(engine) as session:
                return session.exec(
                    select(Decision).where(col(Decision.poll_ts).is_not(None))
                ).first()

        wait_until(lambda: poll() is not None, timeout=10, what="the poll posted")
        decision = poll()
        assert decision is not None and decision.poll_ts

        answered: list[str] = []
        lock = threading.Lock()
        enough = threading.Event()
        client = bot.client

        def click(i: int) -> None:
            user = f"U{i:07d}"
            try:
                reply = client.block_action(
                    VOTE_ACTIONS["agree"],
                    str(decision.id),
                    user_id=user,
                    channel_id=CHANNEL,
                    message_ts=str(decision.poll_ts),
                    response_url=slack.response_url(),
                )
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return  # the process was killed before answering: nobody was told anything
            if reply.status == 200:
                with lock:
                    answered.append(user)
                    if len(answered) >= KILL_AFTER:
                        enough.set()

        with ThreadPoolExecutor(max_workers=20) as pool:
            futures = [pool.submit(click, i) for i in range(CLICKS)]
            assert enough.wait(30), "clicks are answered"
            bot.kill()
            for future in futures:
                future.result()

        bot.start().wait_ready()
        with Session(engine) as session:
            stored = {v.user_id for v in session.exec(select(Vote).where(col(Vote.current)))}
        assert len(answered) >= KILL_AFTER
        lost = sorted(set(answered) - stored)
        assert lost == [], f"{len(lost)} of {len(answered)} acknowledged votes were lost"
    finally:
        engine.dispose()
        bot.stop()


def test_a_rate_limited_channel_does_not_hold_other_channels_work(bot: RunningBot) -> None:
    slack = bot.slack
    assert (
        bot.client.command(
            "/decide",
            "We move the offsite to May",
            channel_id=OTHER,
            response_url=slack.response_url(),
        ).status
        == 200
    )
    slack.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == OTHER)
    row = wait_row(bot, lambda d: d.poll_ts is not None)
    poll_ts, decision_id = str(row.poll_ts), int(row.id or 0)
    # Channel CHANNEL is rate limited: its two polls wait (inside the Slack client) for
    # Retry-After before trying again.
    slack.fail_next(
        "chat.postMessage",
        status=429,
        retry_after=3,
        times=2,
        when=lambda p: p.get("channel") == CHANNEL,
    )
    for text in ("We hire two more engineers", "We drop the legacy API"):
        assert (
            bot.client.command(
                "/decide", text, channel_id=CHANNEL, response_url=slack.response_url()
            ).status
            == 200
        )
    slack.wait_for(
        "chat.postMessage",
        2,
        predicate=lambda c: c.params["channel"] == CHANNEL and c.status == 429,
    )

    def channel_retried() -> bool:
        return any(
            c.params["channel"] == CHANNEL and c.status == 200
            for c in slack.calls("chat.postMessage")
        )

    # Meanwhile, elsewhere: a vote shows on its poll, and a new poll is posted.
    reply = bot.client.block_action(
        VOTE_ACTIONS["agree"],
        str(decision_id),
        user_id="U0BEN",
        channel_id=OTHER,
        message_ts=poll_ts,
    )
    assert reply.status == 200
    slack.wait_for("chat.update", predicate=lambda c: c.params.get("ts") == poll_ts)
    assert not channel_retried(), "the vote waited for another channel's Retry-After"
    assert (
        bot.client.command(
            "/decide",
            "We open an office in Lyon",
            channel_id=OTHER,
            response_url=slack.response_url(),
        ).status
        == 200
    )
    slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: c.params["channel"] == OTHER and "Lyon" in str(c.params.get("text")),
    )
    assert not channel_retried(), "the poll waited for another channel's Retry-After"
    # The rate-limited channel's polls are posted after their wait.
    slack.wait_for(
        "chat.postMessage",
        2,
        predicate=lambda c: c.params["channel"] == CHANNEL and c.status == 200,
    )
