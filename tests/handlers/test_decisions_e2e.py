"""Disagree-and-commit decisions, end to end: signed requests in, the Slack double's record out."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from handlers import coalesce
from handlers.blocks.decisions import (
    ANDON_VIEW,
    COMMIT,
    FINALIZE_VIEW,
    PULL_ANDON,
    VOTE_ACTIONS,
)
from storage.db import session_scope
from storage.models import AndonPull, Timer, Vote
from tests.conftest import RunningBot
from tests.handlers.decision_helpers import (
    CHANNEL,
    OWNER,
    action_ids,
    as_dict,
    decision_row,
    ephemerals_to,
    opened_view,
    press_finalize,
    propose,
    shown,
    vote,
    wait_shown,
    wait_until,
)

ANA, BEN, CAT = "U0ANA", "U0BEN", "U0CAT"


@pytest.fixture
def fast_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll updates coalesced over 50 ms instead of a second, so scenarios run quickly."""
    monkeypatch.setattr(coalesce, "DEFAULT_INTERVAL", 0.05)


def test_done_when_poll_votes_finalize_dissent_commit_and_andon(
    fast_updates: None, bot: RunningBot
) -> None:
    slack = bot.slack
    # /decide posts the poll at once.
    poll_ts, decision_id = propose(
        bot, "We launch the new pricing in March confidence:60% door:one-way"
    )
    poll = wait_shown(slack, CHANNEL, poll_ts, "We launch the new pricing in March", "60%")
    assert "One-way door" in poll
    assert action_ids(slack.messages[(CHANNEL, poll_ts)]) == [
        VOTE_ACTIONS["agree"],
        VOTE_ACTIONS["disagree_commit"],
        VOTE_ACTIONS["disagree"],
        "decision_finalize",
    ]

    # Three people vote; Ben changes his mind from Agree to Disagree, but commit.
    vote(bot, decision_id, poll_ts, ANA, "agree")
    vote(bot, decision_id, poll_ts, BEN, "agree")
    wait_shown(slack, CHANNEL, poll_ts, f"*Agree:* 2 — <@{ANA}>, <@{BEN}>")
    vote(bot, decision_id, poll_ts, BEN, "disagree_commit", "Too risky before the Q2 audit")
    vote(bot, decision_id, poll_ts, CAT, "disagree", "Customers need <!channel> notice")
    poll = wait_shown(
        slack,
        CHANNEL,
        poll_ts,
        f"*Agree:* 1 — <@{ANA}>",
        f"*Disagree, but commit:* 1 — <@{BEN}>",
        f"*Disagree:* 1 — <@{CAT}>",
    )
    assert "Too risky" not in poll, "reasons belong on the record, not the live poll"
    with session_scope(bot.core.engine) as session:
        bens = list(session.exec(select(Vote).where(Vote.user_id == BEN).order_by(col(Vote.id))))
    assert [(v.choice, v.current) for v in bens] == [
        ("agree", False),
        ("disagree_commit", True),
    ]

    # A non-owner cannot finalize.
    trigger = press_finalize(bot, decision_id, poll_ts, ANA)
    wait_until(lambda: any("Only the owner" in t for t in ephemerals_to(slack, ANA)))
    assert not [c for c in slack.calls("views.open") if c.params.get("trigger_id") == trigger]
    assert decision_row(bot).status == "voting"

    # The owner finalizes with their own wording.
    trigger = press_finalize(bot, decision_id, poll_ts, OWNER)
    view = opened_view(slack, trigger)
    assert view["callback_id"] == FINALIZE_VIEW
    prefilled = view["blocks"][-1]["element"]["initial_value"]
    assert prefilled == "We launch the new pricing in March"
    final_text = "We launch the new pricing on 1 April, with 30 days' notice to customers"
    reply = bot.client.view_submission(
        FINALIZE_VIEW,
        {"final_text": {"value": {"type": "plain_text_input", "value": final_text}}},
        private_metadata=view["private_metadata"],
        user_id=OWNER,
    )
    assert reply.status == 200 and reply.json() is None

    # The record is posted in the thread, with the dissent and reasons beside the decision.
    record_call = slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.params.get("thread_ts") == poll_ts
    )[0]
    row = decision_row(bot)
    assert row.status == "active" and row.final_text == final_text
    assert row.decided_at is not None and row.record_ts
    assert row.permalink and row.permalink.startswith("https://narrative-test.slack.com/archives/")
    record = wait_shown(slack, CHANNEL, row.record_ts, final_text)
    assert record_call.params["channel"] == CHANNEL
    assert "Too risky before the Q2 audit" in record
    assert "Customers need &lt;!channel&gt; notice" in record
    assert "<!channel>" not in record
    assert f"<@{BEN}> — *Disagree, but commit* (committed)" in record
    assert f"<@{CAT}> — *Disagree* (not committed)" in record
    assert "60%" in record and "One-way door" in record
    assert PULL_ANDON in action_ids(slack.messages[(CHANNEL, row.record_ts)])
    # The poll itself now shows the record, without vote buttons.
    poll = wait_shown(slack, CHANNEL, poll_ts, final_text, "Too risky")
    assert VOTE_ACTIONS["agree"] not in action_ids(slack.messages[(CHANNEL, poll_ts)])
    # The review is scheduled for the review date.
    with session_scope(bot.core.engine) as session:
        reviews = list(session.exec(select(Timer).where(Timer.kind == "review_due")))
    assert [(t.ref_id, t.due_at, t.status) for t in reviews] == [
        (decision_id, row.review_on, "pending")
    ]

    # Only the plain dissenter gets a DM with "I disagree and commit".
    dm_channel = f"D{CAT}"
    dm = slack.wait_for("chat.postMessage", predicate=lambda c: c.params["channel"] == dm_channel)
    assert len(dm) == 1
    assert [c.params.get("users") for c in slack.calls("conversations.open")] == [CAT]
    dm_ts = next(ts for (ch, ts) in slack.messages if ch == dm_channel)
    assert action_ids(slack.messages[(dm_channel, dm_ts)]) == [COMMIT]
    assert final_text in shown(slack, dm_channel, dm_ts)

    # A late vote is told the decision is final and changes nothing.
    vote(bot, decision_id, poll_ts, "U0LATE", "agree")
    wait_until(lambda: any("is final" in t for t in ephemerals_to(slack, "U0LATE")))

    # Cat presses the button: the commitment and its time are on the record.
    reply = bot.client.block_action(
        COMMIT, str(decision_id), user_id=CAT, channel_id=dm_channel, message_ts=dm_ts
    )
    assert reply.status == 200
    wait_shown(slack, dm_channel, dm_ts, "You disagreed and committed")
    record = wait_shown(
        slack, CHANNEL, row.record_ts, f"<@{CAT}> — *Disagree* (disagreed and committed"
    )
    with session_scope(bot.core.engine) as session:
        cats = session.exec(select(Vote).where(Vote.user_id == CAT, col(Vote.current))).one()
    assert cats.committed_at is not None

    # Ben pulls the Andon cord: the decision halts and the owner hears at once.
    trigger = "trig-andon"
    bot.client.block_action(
        PULL_ANDON,
        str(decision_id),
        user_id=BEN,
        channel_id=CHANNEL,
        message_ts=row.record_ts,
        trigger_id=trigger,
    )
    view = opened_view(slack, trigger)
    assert view["callback_id"] == ANDON_VIEW
    reply = bot.client.view_submission(
        ANDON_VIEW,
        {"reason": {"value": {"type": "plain_text_input", "value": "The audit moved to March"}}},
        private_metadata=view["private_metadata"],
        user_id=BEN,
    )
    assert reply.status == 200 and reply.json() is None
    owner_dm = slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.params["channel"] == f"D{OWNER}"
    )[0]
    assert "The audit moved to March" in str(as_dict(owner_dm.params["blocks"]))
    assert decision_row(bot).status == "halted"
    record = wait_shown(slack, CHANNEL, row.record_ts, "Halted", f"<@{BEN}>", "The audit moved")
    with session_scope(bot.core.engine) as session:
        pulls = list(session.exec(select(AndonPull)))
    assert [(p.user_id, p.reason, p.resolved_at) for p in pulls] == [
        (BEN, "The audit moved to March", None)
    ]
