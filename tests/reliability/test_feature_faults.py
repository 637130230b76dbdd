"""Feature-level faults, end to end: two bot instances on one PostgreSQL database, and a restart
(graceful or a crash) in the middle of a reading period, an open poll and a due review."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from handlers import coalesce
from storage.db import session_scope
from storage.models import Decision, Question, Timer, Vote
from tests.conftest import RunningBot, bot_env
from tests.handlers.slack.decision_helpers import CHANNEL, OWNER, propose, shown, vote, wait_until
from tests.signed import SignedClient
from tests.slack_double import Call, SlackDouble

ANA, BEN = "U0ANA", "U0BEN"


@pytest.fixture
def fast_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll updates coalesced over 50 ms instead of a second, so scenarios run quickly."""
    monkeypatch.setattr(coalesce, "DEFAULT_INTERVAL", 0.05)


@pytest.fixture
def two_bots(slack: SlackDouble, pg_url: str) -> Iterator[tuple[RunningBot, RunningBot]]:
    """Two instances (as behind a load balancer) on one PostgreSQL database and one Slack."""
    first = RunningBot(slack, pg_url, bot_env(slack, pg_url))
    second = RunningBot(slack, pg_url, bot_env(slack, pg_url))
    assert first.core.timers.worker_id != second.core.timers.worker_id
    yield first, second
    second.stop()
    first.stop()


def current_votes(bot: RunningBot) -> list[Vote]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Vote).where(col(Vote.current))))


def timers(bot: RunningBot, kind: str) -> list[Timer]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Timer).where(Timer.kind == kind)))


def start_narrative(bot: RunningBot, text: str, client: SignedClient | None = None) -> str:
    """`/narrative text`; returns the ts of the posted narrative once it is stored."""
    from storage.models import Narrative

    before = len(bot.slack.calls("chat.postMessage"))
    reply = (client or bot.client).command("/narrative", text, user_id=OWNER, channel_id=CHANNEL)
    assert reply.status == 200
    bot.slack.wait_for("chat.postMessage", before + 1)
    found: list[str] = []

    def stored() -> bool:
        with session_scope(bot.core.engine) as session:
            row = session.exec(select(Narrative)).first()
        if row is not None and row.message_ts:
            found.append(str(row.message_ts))
        return bool(found)

    wait_until(stored, what="narrative message ts stored")
    return found[0]


def log_decision(bot: RunningBot, text: str) -> Decision:
    """`/decisions log text` (a decision recorded directly, with its review timer)."""
    reply = bot.client.command("/decisions", f"log {text} owner:<@{OWNER}>", user_id=OWNER)
    assert reply.status == 200 and "Logged" in reply.body, reply.body
    found: list[Decision] = []

    def stored() -> bool:
        with session_scope(bot.core.engine) as session:
            found[:] = session.exec(
                select(Decision).where(
                    Decision.source == "log", col(Decision.record_ts).is_not(None)
                )
            ).all()
        return bool(found)

    wait_until(stored, what="logged decision")
    return found[0]


def digests(slack: SlackDouble, thread_ts: str) -> list[Call]:
    return [
        c
        for c in slack.calls("chat.postMessage")
        if c.params.get("thread_ts") == thread_ts
        and "digest" in str(c.params.get("text"))
        and c.error is None
    ]


def review_dms(slack: SlackDouble) -> list[Call]:
    return [
        c
        for c in slack.calls("chat.postMessage")
        if c.params.get("channel") == f"D{OWNER}" and "review" in str(c.params.get("text")).lower()
    ]


# --- two instances on one PostgreSQL database -----------------------------------------------


def test_votes_arriving_at_two_instances_at_once_are_all_counted(
    fast_updates: None, two_bots: tuple[RunningBot, RunningBot]
) -> None:
    first, second = two_bots
    poll_ts, decision_id = propose(first, "We adopt the four-day week")
    voters = 60

    def cast(i: int) -> None:
        bot = (first, second)[i % 2]
        choice = ("agree", "disagree_commit", "disagree")[i % 3]
        reason = None if choice == "agree" else f"reason {i}"
        vote(bot, decision_id, poll_ts, f"U{i:07d}", choice, reason)
        # Half of the people change their mind, through the other instance.
        if i % 2 == 0:
            other = (second, first)[i % 2]
            vote(other, decision_id, poll_ts, f"U{i:07d}", "agree")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(cast, range(voters)))
    want_agree = sum(1 for i in range(voters) if i % 2 == 0 or i % 3 == 0)

    def agreeing() -> int:
        return sum(1 for v in current_votes(first) if v.choice == "agree")

    # A click is stored after its acknowledgement, so the changes of mind may still be landing
    # when every voter has a vote: wait for the last of them.
    wait_until(
        lambda: len(current_votes(first)) == voters and agreeing() == want_agree,
        timeout=20,
        what="all votes, changes of mind included",
    )
    votes = current_votes(second)
    assert len({v.user_id for v in votes}) == voters
    assert sum(1 for v in votes if v.choice == "agree") == want_agree
    with session_scope(first.core.engine) as session:
        history = list(session.exec(select(Vote)))
    assert len(history) == voters + sum(1 for i in range(0, voters, 2) if i % 3 != 0), (
        "a changed vote is one more row; the same vote again adds nothing"
    )
    # Whichever instance rendered last, the poll ends up showing the exact tally.
    wait_until(
        lambda: f"*Agree:* {want_agree}" in shown(first.slack, CHANNEL, poll_ts),
        timeout=10,
        what=f"Agree: {want_agree} on the poll",
    )


def test_two_instances_running_timers_at_once_fire_each_exactly_once(
    fast_updates: None, two_bots: tuple[RunningBot, RunningBot]
) -> None:
    first, second = two_bots
    slack = first.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        narrative_ts = start_narrative(first, "5m Incident review")
        second.client.message(
            CHANNEL, "Why did the pager not ring?", user=ANA, thread_ts=narrative_ts
        )
        slack.wait_for("reactions.add")
        log_decision(second, "We page the on-call engineer by phone confidence:40%")
        [review_timer] = timers(first, "review_due")
        [reading_timer] = timers(first, "reading_end")

        clock.move_to(review_timer.due_at + timedelta(minutes=1))
        barrier = threading.Barrier(2)
        ran: list[int] = []

        def run(bot: RunningBot) -> None:
            barrier.wait()
            ran.append(bot.run_timers())

        threads = [threading.Thread(target=run, args=(b,)) for b in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sum(ran) == 2, ran
        assert len(digests(slack, narrative_ts)) == 1
        assert "Why did the pager not ring?" in str(digests(slack, narrative_ts)[0].params)
        assert len(review_dms(slack)) == 1
        for timer_id in (review_timer.id, reading_timer.id):
            with session_scope(first.core.engine) as session:
                row = session.get(Timer, timer_id)
                assert row is not None and row.status == "done" and row.attempts == 1

        # Both run again later: nothing fires twice.
        clock.tick(timedelta(minutes=1))
        assert first.run_timers() + second.run_timers() == 0
        assert len(digests(slack, narrative_ts)) == 1 and len(review_dms(slack)) == 1


# --- restart in the middle of everything --------------------------------------------------------


@pytest.mark.parametrize("how", ["graceful", "killed"])
def test_restart_mid_reading_poll_and_review_loses_nothing(
    fast_updates: None, bot: RunningBot, how: str
) -> None:
    slack = bot.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        logged = log_decision(bot, "We move support to EU hours confidence:40%")
        clock.move_to(logged.review_on - timedelta(minutes=30))
        narrative_ts = start_narrative(bot, "20m Q3 pricing six-pager")
        bot.client.message(CHANNEL, "What about churn?", user=ANA, thread_ts=narrative_ts)
        bot.client.message(CHANNEL, "Why March?", user=BEN, thread_ts=narrative_ts)
        slack.wait_for("reactions.add", 2)
        poll_ts, decision_id = propose(bot, "We launch the new pricing in March closes:1h")
        vote(bot, decision_id, poll_ts, ANA, "agree")
        vote(bot, decision_id, poll_ts, BEN, "disagree", "Too early")
        wait_until(lambda: len(current_votes(bot)) == 2, what="votes stored")
        assert bot.run_timers() == 0

        # Down over the review date, the end of reading and the poll's closing time.
        if how == "graceful":
            bot.stop()
        else:
            # As after SIGKILL: the server is gone and no shutdown logic runs (no scheduler
            # shutdown, no flush of pending poll updates, no engine disposal).
            bot.server.close()
        clock.move_to(logged.review_on + timedelta(hours=1))
        bot.start()  # a new process: a new core, engine and worker id
        assert bot.run_timers() == 4  # reading end, review, poll deadline, votes shown again
        assert bot.run_timers() == 0
        bot.restart()
        assert bot.run_timers() == 0

        # Each timer that came due while down fired once.
        assert len(digests(slack, narrative_ts)) == 1
        digest = str(digests(slack, narrative_ts)[0].params)
        assert "What about churn?" in digest and "Why March?" in digest
        assert len(review_dms(slack)) == 1
        deadline = [
            c
            for c in slack.calls("chat.postMessage")
            if c.params.get("channel") == f"D{OWNER}" and c not in review_dms(slack)
        ]
        assert len(deadline) == 1, [c.params.get("text") for c in deadline]
        for kind in ("reading_end", "review_due", "poll_close", "show_votes"):
            assert [t.status for t in timers(bot, kind)] == ["done"], kind

        # Nothing stored was lost; the poll still takes votes after the restart.
        with session_scope(bot.core.engine) as session:
            assert sorted(q.text for q in session.exec(select(Question))) == [
                "What about churn?",
                "Why March?",
            ]
        assert sorted((v.user_id, v.choice) for v in current_votes(bot)) == [
            (ANA, "agree"),
            (BEN, "disagree"),
        ]
        vote(bot, decision_id, poll_ts, "U0CAT", "agree")
        wait_until(lambda: len(current_votes(bot)) == 3, what="vote after restart")
        wait_until(
            lambda: "*Agree:* 2" in str(slack.messages[(CHANNEL, poll_ts)].get("blocks")),
            what="poll updated after restart",
        )


@pytest.mark.parametrize("how", ["graceful", "killed"])
def test_a_poll_update_lost_to_an_outage_or_a_crash_is_made_good(
    fast_updates: None, bot: RunningBot, how: str
) -> None:
    slack = bot.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        poll_ts, decision_id = propose(bot, "We freeze hiring until June")
        slack.fail_always("chat.update", status=503)  # Slack is down for a while
        vote(bot, decision_id, poll_ts, ANA, "agree")
        vote(bot, decision_id, poll_ts, BEN, "disagree", "We lose the spring graduates")
        wait_until(lambda: len(current_votes(bot)) == 2, what="votes stored")
        wait_until(lambda: slack.calls("chat.update"), what="an update attempted")
        if how == "graceful":
            bot.stop()  # delivers pending updates, which Slack refuses
        else:
            bot.server.close()  # as after SIGKILL: pending updates are simply gone
        shown_before = str(slack.messages[(CHANNEL, poll_ts)].get("blocks"))
        assert "*Agree:* 1" not in shown_before
        slack.clear_faults()  # Slack is back

        clock.tick(timedelta(seconds=16))
        bot.start()
        assert bot.run_timers() == 1
        shown = str(slack.messages[(CHANNEL, poll_ts)].get("blocks"))
        assert "*Agree:* 1" in shown and "*Disagree:* 1" in shown
        assert [t.status for t in timers(bot, "show_votes")] == ["done"]
