"""Statuses set by the Andon cord (decisions) and by reviews (decision log) stay consistent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot import decisions, reviews
from bot.decision_log import record_decision, set_record_message
from bot.reviews import ReviewAnswer, ReviewError
from storage.db import session_scope
from storage.models import AndonPull, Decision, Review
from tests.conftest import TEAM, RunningBot

OWNER = "U0OWNER"


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
                answer=ReviewAnswer(
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
            answer=ReviewAnswer(outcome="reverse", actual_confidence=30, learned="Legal was right"),
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
            answer=ReviewAnswer(
                outcome="amend", actual_confidence=50, learned="Too fast", new_text="Ship monthly"
            ),
        )
        assert _row(bot, decision_id).status == "amended"
        with pytest.raises(decisions.DecisionError, match="amended"):
            _pull(bot, decision_id)
        assert _row(bot, decision_id).status == "amended"
        clock.tick(timedelta(seconds=1))
