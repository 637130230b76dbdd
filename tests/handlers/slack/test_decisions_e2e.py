"""Disagree-and-commit decisions, end to end: signed requests in, the Slack double's record out."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import col, select

from handlers import coalesce
from handlers.slack.blocks.decisions import (
    ANDON_VIEW,
    COMMIT,
    FINALIZE_VIEW,
    PROPOSE_FROM_NARRATIVE,
    PROPOSE_VIEW,
    PULL_ANDON,
    VOTE_ACTIONS,
)
from storage.db import session_scope
from storage.models import AndonPull, Decision, Narrative, Timer, Vote
from tests.conftest import RunningBot
from tests.handlers.slack.decision_helpers import (
    CHANNEL,
    OWNER,
    action_ids,
    as_dict,
    decision_row,
    ephemerals_to,
    message_text,
    opened_view,
    press_finalize,
    propose,
    shown,
    vote,
    wait_row,
    wait_shown,
    wait_until,
)

ANA, BEN, CAT = "U0ANA", "U0BEN", "U0CAT"


def form_values(
    proposal: str,
    *,
    confidence: str = "70",
    closes: str | None = None,
    anonymous: bool = False,
    owner: str | None = None,
) -> dict[str, dict[str, dict[str, object]]]:
    """`view.state.values` of the proposal form as Slack sends them."""
    return {
        "proposal": {"value": {"type": "plain_text_input", "value": proposal}},
        "owner": {"value": {"type": "users_select", "selected_user": owner}},
        "confidence": {"value": {"type": "number_input", "value": confidence}},
        "door": {
            "value": {"type": "radio_buttons", "selected_option": {"value": "two-way"}},
        },
        "review": {"value": {"type": "datepicker", "selected_date": None}},
        "closes": {"value": {"type": "plain_text_input", "value": closes}},
        "anonymous": {
            "value": {
                "type": "checkboxes",
                "selected_options": [{"value": "anonymous"}] if anonymous else [],
            }
        },
    }


def add_narrative(bot: RunningBot, team_id: str, title: str, channel: str = "C0X") -> int:
    now = datetime.now().astimezone()
    with session_scope(bot.core.engine) as session:
        row = Narrative(
            team_id=team_id,
            channel_id=channel,
            owner_id=OWNER,
            title=title,
            reading_seconds=1200,
            started_at=now,
            ends_at=now,
        )
        session.add(row)
        session.flush()
        return int(row.id or 0)


@pytest.fixture
def fast_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll updates coalesced over 50 ms instead of a second, so scenarios run quickly."""
    monkeypatch.setattr(coalesce, "DEFAULT_INTERVAL", 0.05)


def test_done_when_poll_votes_finalize_dissent_commit_and_andon(
    fast_updates: None, bot: RunningBot
) -> None:
    done_when_scenario(bot)


def test_done_when_scenario_on_postgresql(fast_updates: None, pg_bot: RunningBot) -> None:
    done_when_scenario(pg_bot)


def done_when_scenario(bot: RunningBot) -> None:
    """The issue's "Done when", step by step, as users see it."""
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
    row = wait_row(bot, lambda d: d.record_ts is not None)
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


# --- proposing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("We launch confidence:150%", "between 1% and 100%"),
        ("We launch review:2020-01-01", "in the past"),
        ("We launch colour:blue", "unknown option `colour:`"),
        ("confidence:60% door:one-way", "the proposal is empty"),
        ("We launch door:sideways", "door must be"),
    ],
)
def test_bad_options_get_a_private_message_and_nothing_is_posted(
    bot: RunningBot, text: str, says: str
) -> None:
    reply = bot.client.command("/decide", text, user_id=OWNER, channel_id=CHANNEL)
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert says in body["text"]
    assert "/decide PROPOSAL" in body["text"], "usage is shown"
    assert bot.slack.calls("chat.postMessage") == []
    with session_scope(bot.core.engine) as session:
        assert list(session.exec(select(Decision))) == []


def test_help_shows_usage(bot: RunningBot) -> None:
    reply = bot.client.command("/decide", "help")
    assert "confidence:" in reply.json()["text"]
    assert bot.slack.calls("chat.postMessage") == []


def test_proposal_text_is_escaped(fast_updates: None, bot: RunningBot) -> None:
    poll_ts, _ = propose(bot, "Ping <!channel> & <@U0X> about <https://evil|pricing>")
    poll = wait_shown(bot.slack, CHANNEL, poll_ts, "Ping")
    # Slack markup becomes plain text (an inert "@channel"), then is escaped when shown.
    assert "Ping @channel &amp; &lt;@U0X&gt; about pricing (https://evil)" in poll
    assert "<!channel>" not in poll
    assert not [
        c for c in bot.slack.calls("chat.postMessage") if "<!channel>" in str(c.params.get("text"))
    ]


def test_confidence_note_and_review_default(fast_updates: None, bot: RunningBot) -> None:
    poll_ts, _ = propose(bot, "Ship the beta confidence:40%")
    poll = wait_shown(bot.slack, CHANNEL, poll_ts, "40%")
    assert "little information — review early" in poll
    row = decision_row(bot)
    assert abs(row.review_on - row.created_at - timedelta(days=30)) < timedelta(minutes=1)
    assert row.owner_id == OWNER and row.proposed_by == OWNER and row.status == "voting"


def test_owner_option_names_the_owner(fast_updates: None, bot: RunningBot) -> None:
    poll_ts, decision_id = propose(bot, f"Hire two engineers owner:<@{ANA}|ana> confidence:95%")
    poll = wait_shown(bot.slack, CHANNEL, poll_ts, "you may be deciding slowly")
    assert f"*Owner:* <@{ANA}>" in poll
    # The proposer is not the owner now, so they cannot finalize.
    press_finalize(bot, decision_id, poll_ts, OWNER)
    wait_until(lambda: any("Only the owner" in t for t in ephemerals_to(bot.slack, OWNER)))
    trigger = press_finalize(bot, decision_id, poll_ts, ANA)
    assert opened_view(bot.slack, trigger)["callback_id"] == FINALIZE_VIEW


def test_slash_command_without_text_opens_the_form_and_posts_an_anonymous_poll(
    fast_updates: None, bot: RunningBot
) -> None:
    slack = bot.slack
    reply = bot.client.command("/decide", "", user_id=OWNER, trigger_id="trig-form")
    assert reply.status == 200
    view = opened_view(slack, "trig-form")
    assert view["callback_id"] == PROPOSE_VIEW
    owner_block = next(b for b in view["blocks"] if b.get("block_id") == "owner")
    assert owner_block["element"]["initial_user"] == OWNER
    values = form_values("Adopt the new on-call rota", confidence="85", closes="1d", anonymous=True)

    # A past review date is refused inside the form.
    bad = dict(values, review={"value": {"type": "datepicker", "selected_date": "2020-01-01"}})
    reply = bot.client.view_submission(
        PROPOSE_VIEW, bad, private_metadata=view["private_metadata"], user_id=OWNER
    )
    assert reply.json()["response_action"] == "errors"
    assert "past" in reply.json()["errors"]["review"]
    assert slack.calls("chat.postMessage") == []

    reply = bot.client.view_submission(
        PROPOSE_VIEW, values, private_metadata=view["private_metadata"], user_id=OWNER
    )
    assert reply.status == 200 and reply.json() is None
    posted = slack.wait_for("chat.postMessage")[0]
    assert posted.params["channel"] == CHANNEL
    row = wait_row(bot, lambda d: d.poll_ts is not None)
    assert row.anonymous and row.confidence == 85 and row.closes_at is not None
    poll_ts = str(row.poll_ts)
    vote(bot, int(row.id or 0), poll_ts, ANA, "agree")
    poll = wait_shown(slack, CHANNEL, poll_ts, "*Agree:* 1")
    assert f"<@{ANA}>" not in poll, "anonymous until close: no names in the live poll"
    wait_until(lambda: any("counted" in t for t in ephemerals_to(slack, ANA)))
    with session_scope(bot.core.engine) as session:
        timers = list(session.exec(select(Timer).where(Timer.kind == "poll_close")))
    assert [(t.ref_id, t.due_at) for t in timers] == [(row.id, row.closes_at)]


def test_propose_from_a_narrative_links_the_decision(fast_updates: None, bot: RunningBot) -> None:
    slack = bot.slack
    narrative_id = add_narrative(bot, "T0TEST", "Q3 pricing six-pager", channel="C0PRICING")
    foreign_id = add_narrative(bot, "T0OTHER", "Their secret plan")

    bot.client.block_action(
        PROPOSE_FROM_NARRATIVE, str(foreign_id), user_id=ANA, trigger_id="trig-foreign"
    )
    wait_until(lambda: any("not found" in t for t in ephemerals_to(slack, ANA)))
    assert not slack.calls("views.open")

    bot.client.block_action(
        PROPOSE_FROM_NARRATIVE,
        str(narrative_id),
        user_id=ANA,
        channel_id="C0PRICING",
        trigger_id="trig-narr",
    )
    view = opened_view(slack, "trig-narr")
    assert view["callback_id"] == PROPOSE_VIEW
    assert "Q3 pricing six-pager" in message_text(view)
    reply = bot.client.view_submission(
        PROPOSE_VIEW,
        form_values("Raise prices 5% in Q3"),
        private_metadata=view["private_metadata"],
        user_id=ANA,
    )
    assert reply.status == 200 and reply.json() is None
    slack.wait_for("chat.postMessage")
    row = decision_row(bot)
    assert row.narrative_id == narrative_id
    assert row.channel_id == "C0PRICING" and row.owner_id == ANA

    # Forged metadata naming another workspace's narrative is refused.
    forged = json.dumps({"channel_id": "C0PRICING", "narrative_id": foreign_id})
    reply = bot.client.view_submission(
        PROPOSE_VIEW, form_values("Copy them"), private_metadata=forged, user_id=ANA
    )
    assert reply.json()["response_action"] == "errors"
    assert len(slack.calls("chat.postMessage")) == 1


def test_poll_that_cannot_be_posted_leaves_nothing_behind(bot: RunningBot) -> None:
    bot.slack.fail_next("chat.postMessage", error="channel_not_found")
    reply = bot.client.command(
        "/decide",
        "We launch",
        user_id=OWNER,
        channel_id=CHANNEL,
        response_url=bot.slack.response_url("decide"),
    )
    assert reply.status == 200
    said = bot.slack.wait_for("response_url")[0]
    assert "could not post the poll" in said.params["text"]
    with session_scope(bot.core.engine) as session:
        assert list(session.exec(select(Decision))) == []


# --- voting -----------------------------------------------------------------------------------


def test_double_clicks_and_retries_never_duplicate_votes(
    fast_updates: None, bot: RunningBot
) -> None:
    poll_ts, decision_id = propose(bot, "We launch")
    for _ in range(3):
        vote(bot, decision_id, poll_ts, ANA, "agree")
    for _ in range(2):
        vote(bot, decision_id, poll_ts, BEN, "disagree", "Too early")
    vote(bot, decision_id, poll_ts, BEN, "disagree", "Far too early")
    wait_shown(bot.slack, CHANNEL, poll_ts, f"*Agree:* 1 — <@{ANA}>", f"*Disagree:* 1 — <@{BEN}>")

    def rows() -> list[tuple[str, str, str | None, bool]]:
        with session_scope(bot.core.engine) as session:
            votes = session.exec(select(Vote).order_by(col(Vote.id)))
            return [(v.user_id, v.choice, v.reason, v.current) for v in votes]

    wait_until(lambda: len(rows()) >= 3)
    assert rows() == [
        (ANA, "agree", None, True),
        (BEN, "disagree", "Too early", False),
        (BEN, "disagree", "Far too early", True),
    ]


def test_a_burst_of_votes_is_coalesced_into_few_updates(bot: RunningBot) -> None:
    """At the real one-second interval: many votes, about one chat.update per second."""
    slack = bot.slack
    poll_ts, decision_id = propose(bot, "We launch")
    voters = [f"U0V{i}" for i in range(8)]
    for user in voters:
        vote(bot, decision_id, poll_ts, user, "agree")
    wait_shown(slack, CHANNEL, poll_ts, "*Agree:* 8")
    updates = [c for c in slack.calls("chat.update") if c.params.get("ts") == poll_ts]
    assert 1 <= len(updates) <= 3, [c.at for c in updates]
    gaps = [b.at - a.at for a, b in zip(updates, updates[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps), gaps


def test_disagreeing_needs_a_reason(bot: RunningBot) -> None:
    poll_ts, decision_id = propose(bot, "We launch")
    bot.client.block_action(
        VOTE_ACTIONS["disagree"], str(decision_id), user_id=ANA, trigger_id="trig-r"
    )
    view = opened_view(bot.slack, "trig-r")
    reply = bot.client.view_submission(
        view["callback_id"],
        {"reason": {"value": {"type": "plain_text_input", "value": "   "}}},
        private_metadata=view["private_metadata"],
        user_id=ANA,
    )
    assert reply.json()["response_action"] == "errors"
    assert "reason" in reply.json()["errors"]["reason"]
    with session_scope(bot.core.engine) as session:
        assert list(session.exec(select(Vote))) == []


def test_another_workspaces_decision_is_not_found(fast_updates: None, bot: RunningBot) -> None:
    poll_ts, decision_id = propose(bot, "We launch")
    for action in (VOTE_ACTIONS["agree"], "decision_finalize", PULL_ANDON, COMMIT):
        bot.client.block_action(
            action, str(decision_id), user_id="U0INTRUDER", team_id="T0OTHER", trigger_id="t-x"
        )
    wait_until(lambda: len(ephemerals_to(bot.slack, "U0INTRUDER")) == 4)
    assert all("not found" in t for t in ephemerals_to(bot.slack, "U0INTRUDER"))
    metadata = json.dumps({"decision_id": decision_id, "choice": "disagree"})
    reply = bot.client.view_submission(
        "decision_reason",
        {"reason": {"value": {"type": "plain_text_input", "value": "mine now"}}},
        private_metadata=metadata,
        user_id="U0INTRUDER",
        team_id="T0OTHER",
    )
    assert "not found" in reply.json()["errors"]["reason"]
    assert not bot.slack.calls("views.open")
    with session_scope(bot.core.engine) as session:
        assert list(session.exec(select(Vote))) == []


# --- finalizing -------------------------------------------------------------------------------


def finalize(bot: RunningBot, decision_id: int, poll_ts: str, user: str, text: str) -> None:
    trigger = press_finalize(bot, decision_id, poll_ts, user)
    view = opened_view(bot.slack, trigger)
    reply = bot.client.view_submission(
        FINALIZE_VIEW,
        {"final_text": {"value": {"type": "plain_text_input", "value": text}}},
        private_metadata=view["private_metadata"],
        user_id=user,
    )
    assert reply.status == 200 and reply.json() is None, reply.body


def test_a_workspace_admin_can_finalize(fast_updates: None, bot: RunningBot) -> None:
    bot.slack.users["U0ADMIN"] = {"is_admin": True}
    poll_ts, decision_id = propose(bot, "We launch")
    finalize(bot, decision_id, poll_ts, "U0ADMIN", "We launch, decided by the admin")
    bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.params.get("thread_ts") == poll_ts)
    row = decision_row(bot)
    assert row.status == "active" and row.final_text == "We launch, decided by the admin"


def test_finalizing_twice_posts_one_record(fast_updates: None, bot: RunningBot) -> None:
    poll_ts, decision_id = propose(bot, "We launch")
    trigger = press_finalize(bot, decision_id, poll_ts, OWNER)
    view = opened_view(bot.slack, trigger)
    values = {"final_text": {"value": {"type": "plain_text_input", "value": "We launch"}}}
    first = bot.client.view_submission(
        FINALIZE_VIEW, values, private_metadata=view["private_metadata"], user_id=OWNER
    )
    second = bot.client.view_submission(
        FINALIZE_VIEW, values, private_metadata=view["private_metadata"], user_id=OWNER
    )
    assert first.json() is None
    assert "already final" in second.json()["errors"]["final_text"]
    bot.slack.wait_for("chat.postMessage", predicate=lambda c: c.params.get("thread_ts") == poll_ts)
    press_finalize(bot, decision_id, poll_ts, OWNER)
    wait_until(lambda: any("already final" in t for t in ephemerals_to(bot.slack, OWNER)))
    threaded = [c for c in bot.slack.calls("chat.postMessage") if c.params.get("thread_ts")]
    assert len(threaded) == 1


def test_voting_deadline_reminds_the_owner_and_decides_nothing(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        poll_ts, decision_id = propose(bot, "We launch closes:2h")
        assert bot.run_timers() == 0
        clock.move_to("2026-12-01 11:00:01")
        assert bot.run_timers() == 1
        dm = bot.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params["channel"] == f"D{OWNER}"
        )[0]
        assert "finalize" in str(as_dict(dm.params["blocks"]))
        assert "decision_finalize" in str(as_dict(dm.params["blocks"]))
        assert decision_row(bot).status == "voting"
        assert bot.run_timers() == 0


# --- the Andon cord ---------------------------------------------------------------------------


def pull(bot: RunningBot, decision_id: int, record_ts: str, user: str, reason: str) -> None:
    trigger = f"trig-andon-{user}"
    bot.client.block_action(
        PULL_ANDON, str(decision_id), user_id=user, message_ts=record_ts, trigger_id=trigger
    )
    view = opened_view(bot.slack, trigger)
    reply = bot.client.view_submission(
        ANDON_VIEW,
        {"reason": {"value": {"type": "plain_text_input", "value": reason}}},
        private_metadata=view["private_metadata"],
        user_id=user,
    )
    assert reply.status == 200 and reply.json() is None


def test_andon_cord_is_resolved_by_the_owner_only(fast_updates: None, bot: RunningBot) -> None:
    slack = bot.slack
    poll_ts, decision_id = propose(bot, "We launch")
    finalize(bot, decision_id, poll_ts, OWNER, "We launch in April")
    slack.wait_for("chat.postMessage", predicate=lambda c: c.params.get("thread_ts") == poll_ts)
    record_ts = str(wait_row(bot, lambda d: d.record_ts is not None).record_ts)
    pull(bot, decision_id, record_ts, ANA, "Legal has not signed off")
    wait_shown(slack, CHANNEL, record_ts, "Halted", "Legal has not signed off")

    # A second pull while halted is answered privately.
    bot.client.block_action(PULL_ANDON, str(decision_id), user_id=BEN, trigger_id="t-again")
    wait_until(lambda: any("already halted" in t for t in ephemerals_to(slack, BEN)))

    # Someone else cannot resolve it.
    bot.client.block_action("decision_andon_resume", str(decision_id), user_id=BEN)
    wait_until(lambda: any("Only the owner" in t for t in ephemerals_to(slack, BEN)))
    assert decision_row(bot).status == "halted"

    # The owner amends it from the DM.
    bot.client.block_action(
        "decision_andon_amend",
        str(decision_id),
        user_id=OWNER,
        channel_id=f"D{OWNER}",
        trigger_id="trig-amend",
    )
    view = opened_view(slack, "trig-amend")
    assert view["blocks"][0]["element"]["initial_value"] == "We launch in April"
    reply = bot.client.view_submission(
        view["callback_id"],
        {"final_text": {"value": {"type": "plain_text_input", "value": "We launch in May"}}},
        private_metadata=view["private_metadata"],
        user_id=OWNER,
    )
    assert reply.json() is None
    record = wait_shown(slack, CHANNEL, record_ts, "We launch in May", "amended by")
    assert "Halted" not in record
    row = decision_row(bot)
    assert row.status == "active" and row.final_text == "We launch in May"
    slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: c.params.get("thread_ts") == poll_ts and "amended" in c.params["text"],
    )

    # Pulled again and reversed.
    pull(bot, decision_id, record_ts, BEN, "May is too late")
    bot.client.block_action("decision_andon_reverse", str(decision_id), user_id=OWNER)
    wait_shown(slack, CHANNEL, record_ts, "reversed")
    assert decision_row(bot).status == "reversed"
    assert PULL_ANDON not in action_ids(slack.messages[(CHANNEL, record_ts)])


def test_record_that_cannot_be_posted_still_shows_on_the_poll(
    fast_updates: None, bot: RunningBot
) -> None:
    poll_ts, decision_id = propose(bot, "We launch")
    bot.slack.fail_next("chat.postMessage", error="message_limit_exceeded")
    finalize(bot, decision_id, poll_ts, OWNER, "We launch in June")
    wait_shown(bot.slack, CHANNEL, poll_ts, "We launch in June", "Decision D-1")
    row = decision_row(bot)
    assert row.status == "active" and row.record_ts is None and row.permalink


def test_a_graceful_stop_delivers_the_poll_update_still_waiting_for_its_slot(
    bot: RunningBot,
) -> None:
    """With the real one-second spacing, the second vote's update waits; stopping the bot must
    deliver it rather than leave the poll showing an old tally."""
    poll_ts, decision_id = propose(bot, "Move the standup to 10:00")
    vote(bot, decision_id, poll_ts, ANA, "agree")
    wait_shown(bot.slack, CHANNEL, poll_ts, "Agree:* 1")
    vote(bot, decision_id, poll_ts, BEN, "agree")
    wait_until(lambda: decision_row(bot).id is not None and _current_votes(bot) == 2)
    bot.stop()
    assert "Agree:* 2" in shown(bot.slack, CHANNEL, poll_ts)
    bot.start()  # the fixture stops it again


def _current_votes(bot: RunningBot) -> int:
    with session_scope(bot.core.engine) as session:
        return len(session.exec(select(Vote).where(col(Vote.current).is_(True))).all())
