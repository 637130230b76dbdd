"""Slack slow to answer `users.info` (a time zone, admin standing) never delays the answer to
Slack's request: the look-up happens after the acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun import freeze_time
from sqlmodel import select

from handlers.slack.blocks.decisions import FINALIZE_VIEW, PROPOSE_VIEW
from storage.db import session_scope
from storage.models import Decision, Timer
from tests.conftest import RunningBot
from tests.handlers.slack.decision_helpers import (
    CHANNEL,
    OWNER,
    as_dict,
    decision_row,
    opened_view,
    press_finalize,
    propose,
    wait_row,
)
from tests.handlers.slack.test_decisions_e2e import form_values
from tests.handlers.slack.test_reviews_slack import OWNER as REVIEW_OWNER
from tests.handlers.slack.test_reviews_slack import _started

ADMIN = "U0ADMIN"
# 09:00 in Berlin (the double's time zone for everyone) on the review date.
REVIEW_AT = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def test_decide_with_a_review_date_is_answered_before_users_info(bot: RunningBot) -> None:
    hold = bot.slack.hold_next("users.info")
    try:
        reply = bot.client.command(
            "/decide",
            "We ship on Friday review:2027-03-01",
            user_id=OWNER,
            channel_id=CHANNEL,
            response_url=bot.slack.response_url(),
        )
        assert reply.status == 200 and not hold.released.is_set()
        assert hold.reached.wait(5), "the time zone is looked up after the acknowledgement"
    finally:
        hold.release()
    bot.slack.wait_for("chat.postMessage")
    row = wait_row(bot, lambda d: d.poll_ts is not None)
    assert row.review_on == REVIEW_AT


def test_the_proposal_form_is_answered_before_users_info(bot: RunningBot) -> None:
    slack = bot.slack
    assert bot.client.command("/decide", "", user_id=OWNER, trigger_id="trig-form").status == 200
    view = opened_view(slack, "trig-form")
    values = dict(
        form_values("We ship on Friday"),
        review={"value": {"type": "datepicker", "selected_date": "2027-03-01"}},
    )
    hold = slack.hold_next("users.info")
    try:
        reply = bot.client.view_submission(
            PROPOSE_VIEW, values, private_metadata=view["private_metadata"], user_id=OWNER
        )
        assert reply.status == 200 and reply.json() is None and not hold.released.is_set()
        assert hold.reached.wait(5), "the time zone is looked up after the acknowledgement"
    finally:
        hold.release()
    row = wait_row(bot, lambda d: d.poll_ts is not None)
    assert row.review_on == REVIEW_AT


def test_an_admin_finalizing_is_answered_before_users_info(bot: RunningBot) -> None:
    slack = bot.slack
    slack.users[ADMIN] = {"is_admin": True}
    poll_ts, decision_id = propose(bot, "We ship on Friday", response_url=slack.response_url())
    view = opened_view(slack, press_finalize(bot, decision_id, poll_ts, ADMIN))
    hold = slack.hold_next("users.info")
    try:
        reply = bot.client.view_submission(
            FINALIZE_VIEW,
            {"final_text": {"value": {"type": "plain_text_input", "value": "We ship on Friday"}}},
            private_metadata=view["private_metadata"],
            user_id=ADMIN,
        )
        assert reply.status == 200 and reply.json() is None and not hold.released.is_set()
        assert hold.reached.wait(5), "admin standing is looked up after the acknowledgement"
        assert decision_row(bot).status == "voting"
    finally:
        hold.release()
    assert wait_row(bot, lambda d: d.status == "active").final_text == "We ship on Friday"


def test_keeping_a_decision_at_its_review_is_answered_without_users_info(
    bot: RunningBot,
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        review = _started(bot, clock)
        reply = bot.client.block_action(
            "review_keep",
            str(review.id),
            user_id=REVIEW_OWNER,
            channel_id=f"D{REVIEW_OWNER}",
            response_url=bot.slack.response_url(),
        )
        assert reply.status == 200
        view = as_dict(bot.slack.wait_for("views.open")[0].params["view"])
        values = {
            "next_review": {"value": {"type": "datepicker", "selected_date": "2027-02-15"}},
            "actual": {"value": {"type": "static_select", "selected_option": {"value": "50"}}},
            "learned": {"value": {"type": "plain_text_input", "value": None}},
        }
        hold = bot.slack.hold_next("users.info")
        try:
            answered = bot.client.view_submission(
                "review_keep",
                values,
                private_metadata=view["private_metadata"],
                user_id=REVIEW_OWNER,
            )
            assert answered.status == 200 and not answered.body.strip()
            assert not hold.released.is_set()
            bot.slack.wait_for("chat.update", predicate=lambda c: "kept" in c.params["text"])
        finally:
            hold.release()
    with session_scope(bot.core.engine) as session:
        decision = session.exec(select(Decision)).one()
    assert decision.review_on == datetime(2027, 2, 15, 8, 0, tzinfo=UTC)  # 09:00 in Berlin


def test_logging_a_decision_with_a_review_day_is_answered_before_users_info(
    bot: RunningBot,
) -> None:
    hold = bot.slack.hold_next("users.info")
    try:
        reply = bot.client.command(
            "/decisions",
            "log We ship on Friday review:2027-03-01",
            user_id=OWNER,
            channel_id=CHANNEL,
            response_url=bot.slack.response_url(),
        )
        assert reply.status == 200 and "Logged" in reply.body and not hold.released.is_set()
        assert hold.reached.wait(5), "the time zone is looked up after the acknowledgement"
    finally:
        hold.release()
    bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == CHANNEL)
    row = wait_row(bot, lambda d: d.review_on == REVIEW_AT)
    with session_scope(bot.core.engine) as session:
        timers = session.exec(
            select(Timer).where(Timer.kind == "review_due", Timer.status == "pending")
        ).all()
    assert [(t.ref_id, t.due_at) for t in timers] == [(row.id, REVIEW_AT)]
