"""Reviews on Slack: the DM in the owner's working hours, Keep and Snooze, the reminder, refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlmodel import select

from bot.decision_log import record_decision, set_record_message
from storage.db import session_scope
from storage.models import Decision, Review, Timer
from tests.conftest import TEAM, RunningBot

OWNER = "U0OWNER"


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _owner_dms(bot: RunningBot) -> list:
    return [
        c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == f"D{OWNER}"
    ]


def _review(bot: RunningBot) -> Review:
    with session_scope(bot.core.engine) as session:
        return session.exec(select(Review).order_by(Review.id.desc())).first()  # type: ignore[union-attr]


def test_review_waits_for_working_hours_in_the_owners_time_zone(bot: RunningBot) -> None:
    bot.slack.users[OWNER] = {"tz": "America/New_York"}
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        record_decision(
            bot.core,
            team_id=TEAM,
            channel_id="C0GENERAL",
            author_id=OWNER,
            text="Move the offsite confidence:40%",
        )
        # Due Thursday 2026-12-31 09:00 UTC = 04:00 in New York: not yet.
        clock.move_to("2026-12-31 09:00:01")
        bot.run_timers()
        assert _owner_dms(bot) == []
        clock.move_to("2026-12-31 14:00:01")  # 09:00 in New York
        bot.run_timers()
        assert len(_owner_dms(bot)) == 1
        bot.run_timers()
        assert len(_owner_dms(bot)) == 1


def _started(bot: RunningBot, clock: Any) -> Review:
    decision = record_decision(
        bot.core,
        team_id=TEAM,
        channel_id="C0GENERAL",
        author_id=OWNER,
        text="Ship weekly confidence:40%",
    )
    set_record_message(
        bot.core, team_id=TEAM, decision_id=int(decision.id or 0), ts="1.5", permalink=None
    )
    clock.move_to("2026-12-31 10:00:00")
    bot.run_timers()
    assert len(_owner_dms(bot)) == 1
    return _review(bot)


def test_keep_asks_next_date_and_schedules_it(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        review = _started(bot, clock)
        bot.client.block_action(
            "review_keep", str(review.id), user_id=OWNER, channel_id=f"D{OWNER}"
        )
        view = _json(bot.slack.wait_for("views.open")[0].params["view"])
        assert view["callback_id"] == "review_keep"
        date_block = next(b for b in view["blocks"] if b.get("block_id") == "next_review")
        assert date_block["element"]["initial_date"] == "2027-01-30"  # the same 30 days again
        values = {
            "next_review": {"value": {"type": "datepicker", "selected_date": "2027-02-15"}},
            "actual": {"value": {"type": "static_select", "selected_option": {"value": "50"}}},
            "learned": {"value": {"type": "plain_text_input", "value": None}},
        }
        meta = json.dumps({"review": review.id})
        past = dict(
            values, next_review={"value": {"type": "datepicker", "selected_date": "2026-01-01"}}
        )
        refused = bot.client.view_submission(
            "review_keep", past, private_metadata=meta, user_id=OWNER
        )
        assert refused.json()["response_action"] == "errors"
        assert "next_review" in refused.json()["errors"]
        ok = bot.client.view_submission("review_keep", values, private_metadata=meta, user_id=OWNER)
        assert ok.status == 200 and not ok.body.strip()
        updated = bot.slack.wait_for("chat.update")[0]
        assert "kept" in updated.params["text"]
    with session_scope(bot.core.engine) as session:
        decision = session.exec(select(Decision)).one()
        timers = session.exec(
            select(Timer).where(Timer.kind == "review_due", Timer.status == "pending")
        ).all()
        answered = session.get(Review, review.id)
    # 09:00 in the owner's time zone (Berlin by default in the double).
    assert decision.review_on == datetime(2027, 2, 15, 8, 0, tzinfo=UTC)
    assert decision.status == "active"
    assert [t.due_at for t in timers] == [decision.review_on]
    assert answered is not None and answered.outcome == "keep" and answered.actual_confidence == 50


def test_only_the_owner_answers_and_snooze(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        review = _started(bot, clock)
        bot.client.block_action(
            "review_snooze_week", str(review.id), user_id="U0MALLORY", channel_id=f"D{OWNER}"
        )
        refused = bot.slack.wait_for("chat.postEphemeral")[0]
        assert "Only the decision's owner" in refused.params["text"]
        # Another workspace cannot answer this workspace's review either.
        bot.client.block_action(
            "review_snooze_week",
            str(review.id),
            user_id=OWNER,
            team_id="T0OTHER",
            channel_id=f"D{OWNER}",
        )
        bot.slack.wait_for("chat.postEphemeral", 2)
        assert _review(bot).answered_at is None
        bot.client.block_action(
            "review_snooze_week", str(review.id), user_id=OWNER, channel_id=f"D{OWNER}"
        )
        bot.slack.wait_for("chat.update")
        note = bot.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params.get("thread_ts") is not None
        )
        assert "snoozed" in note[0].params["text"]
    with session_scope(bot.core.engine) as session:
        decision = session.exec(select(Decision)).one()
    assert decision.review_on.date() == datetime(2027, 1, 7).date()


def test_one_reminder_after_three_days_then_overdue(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        review = _started(bot, clock)
        clock.move_to("2027-01-03 10:00:00")  # a Sunday, three days later: wait for Monday
        bot.run_timers()
        assert len(_owner_dms(bot)) == 1
        clock.move_to("2027-01-04 09:30:00")
        bot.run_timers()
        bot.run_timers()
        dms = _owner_dms(bot)
        assert len(dms) == 2 and "Reminder" in dms[1].params["text"]
        assert "review_keep" in json.dumps(dms[1].params["blocks"])
        clock.move_to("2027-01-20 10:00:00")
        bot.run_timers()
        assert len(_owner_dms(bot)) == 2
        url = bot.slack.response_url("due")
        bot.client.command("/decisions", "due", response_url=url)
        due = bot.slack.wait_for("response_url")[0]
        assert "overdue" in json.dumps(due.params["blocks"])
    assert _review(bot).reminded_at is not None and review.id == _review(bot).id


def test_review_not_sent_for_reversed_decision(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        decision = record_decision(
            bot.core, team_id=TEAM, channel_id="C0GENERAL", author_id=OWNER, text="X confidence:40%"
        )
        with session_scope(bot.core.engine) as session:
            row = session.get(Decision, decision.id)
            row.status = "reversed"  # type: ignore[union-attr]
        clock.move_to(datetime(2026, 12, 31, 10, 0, tzinfo=UTC) + timedelta(minutes=1))
        bot.run_timers()
    assert _owner_dms(bot) == []
