"""Statuses set by the Andon cord (decisions) and by reviews (decision log) stay consistent."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot import decisions, reviews
from bot.decision_log import record_decision, set_record_message
from bot.reviews import Answer, ReviewError
from handlers import coalesce
from handlers.slack.blocks.decisions import PULL_ANDON
from storage.db import session_scope
from storage.models import AndonPull, Decision, Review
from tests.conftest import TEAM, RunningBot
from tests.handlers.slack.decision_helpers import (
    CHANNEL,
    action_ids,
    propose,
    vote,
    wait_row,
    wait_shown,
)
from tests.handlers.slack.test_decisions_e2e import finalize

OWNER = "U0OWNER"


@pytest.fixture
def fast_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(coalesce, "DEFAULT_INTERVAL", 0.05)


def _dms(bot: RunningBot) -> list:
    return [
        c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == f"D{OWNER}"
    ]


def _logged(bot: RunningBot) -> int:
    decision = record_decision(
        bot.core,
        team_id=TEAM,
        channel_id="C0GENERAL",
        author_id=OWNER,
        text="Ship weekly confidence:40%",
    )
    decision_id = int(decision.id or 0)
    set_record_message(bot.core, team_id=TEAM, decision_id=decision_id, ts="1.5", permalink=None)
    return decision_id


def _row(bot: RunningBot, decision_id: int) -> Decision:
    with session_scope(bot.core.engine) as session:
        row = session.get(Decision, decision_id)
        assert row is not None
        return row


def _review(bot: RunningBot) -> Review:
    with session_scope(bot.core.engine) as session:
        return session.exec(select(Review)).one()


def _pull(bot: RunningBot, decision_id: int) -> None:
    decisions.pull_andon(
        bot.core, team_id=TEAM, decision_id=decision_id, user_id="U0ANA", reason="Legal said no"
    )


def test_reversing_by_andon_during_a_review_stops_its_reminder_and_closes_it(
    bot: RunningBot,
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        decision_id = _logged(bot)
        clock.move_to("2026-12-31 10:00:00")  # the review date, a Thursday
        bot.run_timers()
        assert len(_dms(bot)) == 1
        assert _row(bot, decision_id).status == "under_review"
        _pull(bot, decision_id)
        decisions.resolve_andon(
            bot.core,
            team_id=TEAM,
            decision_id=decision_id,
            user_id=OWNER,
            is_admin=False,
            resolution="reverse",
        )
        assert _row(bot, decision_id).status == "reversed"
        clock.move_to("2027-01-04 10:00:00")  # after the reminder's date
        bot.run_timers()
        bot.run_timers()
        assert len(_dms(bot)) == 1, "no reminder for a reversed decision"
        with pytest.raises(ReviewError, match="reversed"):
            reviews.answer_review(
                bot.core,
                team_id=TEAM,
                review_id=int(_review(bot).id or 0),
                user_id=OWNER,
                answer=Answer(
                    outcome="amend", actual_confidence=50, learned="x", new_text="Ship monthly"
                ),
            )
        row = _row(bot, decision_id)
        assert row.status == "reversed" and row.replaced_by_id is None


def test_resuming_a_halt_during_a_review_keeps_it_under_review(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        decision_id = _logged(bot)
        clock.move_to("2026-12-31 10:00:00")
        bot.run_timers()
        _pull(bot, decision_id)
        decisions.resolve_andon(
            bot.core,
            team_id=TEAM,
            decision_id=decision_id,
            user_id=OWNER,
            is_admin=False,
            resolution="resume",
        )
        assert _row(bot, decision_id).status == "under_review"


def test_reversing_a_halted_decision_in_its_review_resolves_the_andon_pull(
    bot: RunningBot,
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        decision_id = _logged(bot)
        _pull(bot, decision_id)
        clock.move_to("2026-12-31 10:00:00")
        bot.run_timers()
        assert len(_dms(bot)) == 1, "a halted decision is still reviewed"
        assert _row(bot, decision_id).status == "halted"
        reviews.answer_review(
            bot.core,
            team_id=TEAM,
            review_id=int(_review(bot).id or 0),
            user_id=OWNER,
            answer=Answer(outcome="reverse", actual_confidence=30, learned="Legal was right"),
        )
        assert _row(bot, decision_id).status == "reversed"
        with session_scope(bot.core.engine) as session:
            pull = session.exec(select(AndonPull)).one()
        assert pull.resolved_at is not None and pull.resolution == "reverse"
        assert pull.resolved_by == OWNER


def test_an_amended_decision_cannot_be_halted_and_brought_back(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        decision_id = _logged(bot)
        clock.move_to("2026-12-31 10:00:00")
        bot.run_timers()
        reviews.answer_review(
            bot.core,
            team_id=TEAM,
            review_id=int(_review(bot).id or 0),
            user_id=OWNER,
            answer=Answer(
                outcome="amend", actual_confidence=50, learned="Too fast", new_text="Ship monthly"
            ),
        )
        assert _row(bot, decision_id).status == "amended"
        with pytest.raises(decisions.DecisionError, match="amended"):
            _pull(bot, decision_id)
        assert _row(bot, decision_id).status == "amended"
        clock.tick(timedelta(seconds=1))


def test_a_review_that_amends_a_poll_decision_updates_its_record_in_the_channel(
    fast_updates: None, bot: RunningBot
) -> None:
    slack = bot.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        poll_ts, decision_id = propose(bot, "We ship weekly confidence:40%", user=OWNER)
        vote(bot, decision_id, poll_ts, "U0CAT", "disagree", "Too fast")
        finalize(bot, decision_id, poll_ts, OWNER, "We ship weekly from January")
        row = wait_row(bot, lambda d: d.record_ts is not None)
        record_ts = str(row.record_ts)
        wait_shown(slack, CHANNEL, record_ts, "We ship weekly from January")
        assert PULL_ANDON in action_ids(slack.messages[(CHANNEL, record_ts)])

        clock.move_to(row.review_on + timedelta(minutes=1))  # 30 days later, a Thursday
        bot.run_timers()
        review = _review(bot)
        assert review.dm_ts is not None
        reply = bot.client.view_submission(
            "review_change",
            {
                "new_text": {"value": {"type": "plain_text_input", "value": "We ship monthly"}},
                "learned": {"value": {"type": "plain_text_input", "value": "Weekly was noisy"}},
                "actual": {"value": {"type": "static_select", "selected_option": {"value": "30"}}},
            },
            private_metadata=json.dumps({"review": review.id, "outcome": "amend"}),
            user_id=OWNER,
        )
        assert reply.status == 200 and not reply.body.strip()
        record = wait_shown(slack, CHANNEL, record_ts, "amended")
        assert "D-2" in record
        assert PULL_ANDON not in action_ids(slack.messages[(CHANNEL, record_ts)])
        wait_shown(slack, CHANNEL, poll_ts, "amended")
        assert PULL_ANDON not in action_ids(slack.messages[(CHANNEL, poll_ts)])


def test_the_review_of_a_halted_decision_says_who_halted_it_and_why(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        decision_id = _logged(bot)
        _pull(bot, decision_id)
        clock.move_to("2026-12-31 10:00:00")
        bot.run_timers()
        dm = json.dumps(_dms(bot)[0].params["blocks"])
        assert "Halted" in dm and "<@U0ANA>" in dm and "Legal said no" in dm
