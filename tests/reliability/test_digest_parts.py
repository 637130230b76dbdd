"""A digest long enough for several messages: every part is posted exactly once, even when one
part fails or the bot dies in the middle of posting."""

from __future__ import annotations

import json
import threading
from collections import Counter

from freezegun import freeze_time
from sqlmodel import select

from handlers.slack.blocks.narratives import END
from handlers.slack.errors import GENERIC_ERROR
from storage.db import session_scope
from storage.models import Timer
from tests.conftest import RunningBot
from tests.handlers.slack.decision_helpers import wait_until
from tests.handlers.slack.test_narratives_e2e import (
    ANA,
    CHANNEL,
    OWNER,
    digest_messages,
    message_ts,
    narrative_row,
)

PARTS = ("(1 of 3)", "(2 of 3)", "(3 of 3)")


def start_with_long_questions(bot: RunningBot) -> str:
    """A narrative whose digest takes three messages; returns its ts."""
    reply = bot.client.command(
        "/narrative",
        "5m Outage review",
        user_id=OWNER,
        channel_id=CHANNEL,
        response_url=bot.slack.response_url(),
    )
    assert reply.status == 200
    posted = bot.slack.wait_for("chat.postMessage")[0]
    ts = message_ts(bot, posted)
    for i in range(14):
        # Each question takes eight blocks of the digest, which holds 50 blocks a message.
        words = " ".join(f"w{i}x{j}" for j in range(3000))
        answer, _ts = bot.client.message(CHANNEL, f"Question {i}? {words}", user=ANA, thread_ts=ts)
        assert answer.status == 200
    bot.slack.wait_for("reactions.add", 14)
    return ts


def parts_posted(bot: RunningBot, ts: str) -> Counter[str]:
    texts = [str(c.params.get("text")) for c in digest_messages(bot, ts)]
    return Counter(part for text in texts for part in PARTS if part in text)


def test_a_failed_part_is_retried_and_no_part_is_posted_twice(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        ts = start_with_long_questions(bot)
        bot.slack.fail_next(
            "chat.postMessage", error="fatal_error", when=lambda p: PARTS[1] in str(p.get("text"))
        )
        clock.move_to("2026-12-01 09:05:01")
        assert bot.run_timers() == 1
        assert parts_posted(bot, ts) == Counter({PARTS[0]: 1})
        assert narrative_row(bot).digest_done_at is None

        clock.move_to("2026-12-01 09:05:40")  # the timer's first retry
        assert bot.run_timers() == 1
        assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))
        assert narrative_row(bot).digest_done_at is not None
        clock.move_to("2026-12-01 11:00:00")
        assert bot.run_timers() == 0
        assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))


def test_a_restart_in_the_middle_of_posting_posts_the_rest_once(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        ts = start_with_long_questions(bot)
        # Slack takes part 2 (it shows in the thread) but the bot never hears back: the
        # process is gone, as far as this digest is concerned.
        hold = bot.slack.hold_next(
            "chat.postMessage", when=lambda p: PARTS[1] in str(p.get("text"))
        )
        clock.move_to("2026-12-01 09:05:01")
        dying = threading.Thread(target=bot.run_timers, daemon=True)
        dying.start()
        try:
            assert hold.reached.wait(10)
            bot.restart()
            assert narrative_row(bot).digest_done_at is None
            # Once the dead run's claims have expired, the timer finishes the digest.
            clock.move_to("2026-12-01 09:11:00")
            assert bot.run_timers() == 1
            assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))
            assert narrative_row(bot).digest_done_at is not None
        finally:
            hold.release()
        # Even when the old run wakes up, it posts nothing more.
        dying.join(timeout=15)
        assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))
        clock.move_to("2026-12-01 11:00:00")
        assert bot.run_timers() == 0
        assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))


def test_a_part_failing_after_the_owner_ends_reading_is_posted_by_the_timer(
    bot: RunningBot,
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True):
        ts = start_with_long_questions(bot)
        bot.slack.fail_next(
            "chat.postMessage", error="fatal_error", when=lambda p: PARTS[1] in str(p.get("text"))
        )
        reply = bot.client.block_action(
            END,
            "1",
            user_id=OWNER,
            channel_id=CHANNEL,
            message_ts=ts,
            response_url=bot.slack.response_url(),
        )
        assert reply.status == 200
        bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.error == "fatal_error")
        wait_until(lambda: narrative_row(bot).digest_posted_at is None, what="claim given back")
        assert parts_posted(bot, ts) == Counter({PARTS[0]: 1})
        # The owner is not asked to try again: the reading_end timer (moved to now) finishes.
        sent = json.dumps([c.params for c in bot.slack.calls()])
        assert GENERIC_ERROR not in sent
        assert bot.run_timers() == 1
        assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))
        assert narrative_row(bot).digest_done_at is not None


def test_the_timer_leaves_a_digest_being_posted_to_its_poster_and_checks_later(
    bot: RunningBot,
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        ts = start_with_long_questions(bot)
        hold = bot.slack.hold_next(
            "chat.postMessage", when=lambda p: PARTS[1] in str(p.get("text"))
        )
        try:
            reply = bot.client.block_action(
                END,
                "1",
                user_id=OWNER,
                channel_id=CHANNEL,
                message_ts=ts,
                response_url=bot.slack.response_url(),
            )
            assert reply.status == 200
            assert hold.reached.wait(10)
            # The reading_end timer (moved to now) finds the digest being posted.
            assert bot.run_timers() == 1
            with session_scope(bot.core.engine) as session:
                timers = session.exec(select(Timer).where(Timer.kind == "reading_end")).all()
            assert sorted((t.status, t.last_error) for t in timers) == [
                ("cancelled", None),  # the end of reading planned at the start
                ("done", None),
                ("pending", None),
            ]
        finally:
            hold.release()
        wait_until(lambda: narrative_row(bot).digest_done_at is not None, what="digest done")
        clock.move_to("2026-12-01 09:10:00")
        assert bot.run_timers() == 1  # the later look: nothing is missing
        assert parts_posted(bot, ts) == Counter(dict.fromkeys(PARTS, 1))
