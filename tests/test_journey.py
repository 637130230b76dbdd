"""The whole product as one customer journey, end to end through the HTTP app and the Slack double.

A narrative is read and questioned, its digest proposes a decision, the team votes, the owner
decides, the team reflects and names the decision, the review comes due and is answered, and the
log (record, Home tab, export) shows all of it together.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook
from sqlmodel import select

from handlers import coalesce
from handlers.slack.blocks.decisions import PROPOSE_FROM_NARRATIVE, PROPOSE_VIEW
from storage.db import session_scope
from storage.models import Review, Timer
from tests.conftest import RunningBot
from tests.handlers.slack.decision_helpers import (
    CHANNEL,
    as_dict,
    decision_row,
    message_text,
    opened_view,
    vote,
    wait_row,
    wait_shown,
    wait_until,
)
from tests.handlers.slack.test_decisions_e2e import finalize, form_values
from tests.handlers.slack.test_narratives_e2e import (
    ANA,
    BEN,
    CAT,
    OWNER,
    all_text,
    blocks_of,
    digest_messages,
    eventually,
    message_ts,
    narrative_row,
    press,
    questions,
    react,
    reply_in_thread,
    start,
)
from tests.handlers.slack.test_reflections import _answer_button, _modal_values, _round_posts


@pytest.fixture
def fast_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll updates coalesced over 50 ms instead of a second, so the journey runs quickly."""
    monkeypatch.setattr(coalesce, "DEFAULT_INTERVAL", 0.05)


def dms_to(bot: RunningBot, user: str) -> list[Any]:
    return [c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == f"D{user}"]


def private_replies(bot: RunningBot, name: str) -> str:
    """Every text the bot sent to a command's response_url `name`, joined."""
    return "\n".join(
        str(c.params.get("text", "")) + "\n" + message_text(c.params)
        for c in bot.slack.calls("response_url")
        if c.params.get("_id") == name
    )


def test_narrative_to_decision_to_reflection_to_review_to_export(
    fast_updates: None, bot: RunningBot
) -> None:
    slack = bot.slack
    slack.channel_members[CHANNEL] = [OWNER, ANA, BEN, CAT]
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:  # a Tuesday
        # --- 1. The owner starts a reading period, as Slack sends it (escaped mentions, link).
        posted = start(
            bot,
            f"20m <@{ANA}|ana> <@{BEN}|ben> Pricing six-pager &amp; FAQ "
            "<https://docs.example.com/pricing?v=2&amp;tab=1>",
        )
        ts = message_ts(bot, posted)
        narrative = narrative_row(bot)
        narrative_id = int(narrative.id or 0)
        assert narrative.title == "Pricing six-pager & FAQ"
        assert narrative.link == "https://docs.example.com/pricing?v=2&tab=1"
        shown_narrative = all_text(slack.messages[(CHANNEL, ts)]["blocks"])
        assert "Pricing six-pager &amp; FAQ" in shown_narrative
        assert "0 of 2 expected readers done" in shown_narrative

        # --- 2. Questions in the thread, a 👍, and both readers are done: the digest comes.
        q_ana = reply_in_thread(bot, ts, ANA, "What happens to churn?")
        clock.tick(timedelta(seconds=5))
        reply_in_thread(bot, ts, CAT, "Why March?")
        slack.wait_for("reactions.add", 2)
        eventually(lambda: len(questions(bot)) == 2)
        react(bot, q_ana, BEN)
        press(bot, "narrative_done", narrative_id, ANA, ts)
        press(bot, "narrative_done", narrative_id, BEN, ts)
        digests = eventually(lambda: digest_messages(bot, ts))
        assert len(digests) == 1
        digest = all_text(blocks_of(digests[0]))
        assert digest.find("churn") < digest.find("Why March?"), "ranked by 👍"
        assert "2 of 2 expected readers finished" in digest
        assert "Reading is over" in all_text(slack.messages[(CHANNEL, ts)]["blocks"])
        buttons = {
            e["action_id"]: e["value"]
            for b in blocks_of(digests[0])
            if b["type"] == "actions"
            for e in b["elements"]
        }
        assert buttons == {PROPOSE_FROM_NARRATIVE: str(narrative_id)}

        # --- 3. "Propose a decision" on the digest opens the /decide form linked to it.
        bot.client.block_action(
            PROPOSE_FROM_NARRATIVE,
            str(narrative_id),
            user_id=OWNER,
            channel_id=CHANNEL,
            message_ts=str(digests[0].params.get("thread_ts")),
            trigger_id="trig-propose",
        )
        view = opened_view(slack, "trig-propose")
        assert view["callback_id"] == PROPOSE_VIEW
        assert json.loads(view["private_metadata"])["narrative_id"] == narrative_id
        assert "Pricing six-pager &amp; FAQ" in message_text(view)
        reply = bot.client.view_submission(
            PROPOSE_VIEW,
            form_values("We raise list prices 5% in March"),
            private_metadata=view["private_metadata"],
            user_id=OWNER,
        )
        assert reply.status == 200 and reply.json() is None
        row = wait_row(bot, lambda d: d.poll_ts is not None)
        poll_ts, decision_id = str(row.poll_ts), int(row.id or 0)
        assert row.narrative_id == narrative_id and row.channel_id == CHANNEL
        assert row.status == "voting" and row.owner_id == OWNER
        poll = wait_shown(slack, CHANNEL, poll_ts, "We raise list prices 5% in March")
        assert "D-1" in poll
        assert "*Narrative:* Pricing six-pager &amp; FAQ" in poll, "the poll says what it is about"

        # --- 4. Votes: agree, disagree-but-commit with a reason, disagree with a reason.
        vote(bot, decision_id, poll_ts, ANA, "agree")
        vote(bot, decision_id, poll_ts, BEN, "disagree_commit", "Competitors move in April")
        vote(bot, decision_id, poll_ts, CAT, "disagree", "Churn will spike & hurt")
        wait_shown(
            slack,
            CHANNEL,
            poll_ts,
            f"*Agree:* 1 — <@{ANA}>",
            f"*Disagree, but commit:* 1 — <@{BEN}>",
            f"*Disagree:* 1 — <@{CAT}>",
        )

        # While the poll is open the decision is not in the log yet; its record says so.
        bot.client.event({"type": "app_home_opened", "user": ANA, "tab": "home"})
        slack.wait_for("views.publish")
        assert "D-1" not in json.dumps(slack.home_tabs[ANA]["blocks"])
        url = slack.response_url("voting")
        bot.client.command("/decisions", "D-1", user_id=ANA, channel_id=CHANNEL, response_url=url)
        slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == "voting")
        assert "*Status:* voting" in private_replies(bot, "voting")

        # --- 5. The owner finalizes: the record shows the dissent; the review is scheduled.
        finalize(bot, decision_id, poll_ts, OWNER, "We raise list prices 5% on 1 March")
        row = wait_row(bot, lambda d: d.record_ts is not None and d.permalink is not None)
        assert row.status == "active"
        record = wait_shown(
            slack, CHANNEL, str(row.record_ts), "We raise list prices 5% on 1 March"
        )
        assert "Competitors move in April" in record
        assert "Churn will spike &amp; hurt" in record
        assert f"<@{CAT}> — *Disagree* (not committed)" in record
        assert "*Narrative:* Pricing six-pager &amp; FAQ" in record
        with session_scope(bot.core.engine) as session:
            timers = list(session.exec(select(Timer).where(Timer.kind == "review_due")))
        assert [(t.ref_id, t.due_at, t.status) for t in timers] == [
            (decision_id, row.review_on, "pending")
        ]
        review_on = row.review_on

        # --- 6. A reflection round now; Ana names D-1 in her answer; the round closes.
        reply = bot.client.command("/reflect", "now", user_id=OWNER, channel_id=CHANNEL)
        assert reply.status == 200
        wait_until(lambda: len(_round_posts(bot)) == 1, what="the reflection round")
        round_post = _round_posts(bot)[0]
        round_id = _answer_button(round_post)["value"]
        reply = bot.client.view_submission(
            "reflection_answers",
            _modal_values({0: "Raising prices in D-1 without a churn model was our mistake"}),
            private_metadata=round_id,
            user_id=ANA,
        )
        assert reply.status == 200 and reply.json() is None
        clock.move_to("2026-12-03 09:00:30")
        bot.run_timers()
        round_digest = slack.wait_for(
            "chat.postMessage",
            predicate=lambda c: (
                c.params.get("thread_ts") == round_post.params.get("ts")
                or "answered" in str(c.params.get("text"))
            ),
        )
        shown_round = json.dumps(as_dict(round_digest[-1].params.get("blocks")))
        assert "Raising prices in D-1" in shown_round and "|D-1>)" in shown_round
        assert "1 of 4 channel members answered" in shown_round

        # --- 7. The review comes due: the owner's DM with Keep / Amend / Reverse / Snooze.
        # A deploy between the decision and its review: the review timer is durable.
        bot.restart()
        clock.move_to(review_on + timedelta(minutes=1))
        bot.run_timers()
        dms = eventually(lambda: [c for c in dms_to(bot, OWNER) if "review" in str(c.params)])
        review_dm = json.dumps(as_dict(dms[-1].params["blocks"]))
        assert "D-1" in review_dm and "70%" in review_dm
        assert "Churn will spike" in review_dm, "the recorded dissent is in the review"
        for action in ("review_keep", "review_amend", "review_reverse", "review_snooze_week"):
            assert action in review_dm
        assert decision_row(bot).status == "under_review"
        with session_scope(bot.core.engine) as session:
            review = session.exec(select(Review)).one()
        bot.client.block_action(
            "review_keep",
            str(review.id),
            user_id=OWNER,
            channel_id=f"D{OWNER}",
            trigger_id="trig-keep",
        )
        keep = opened_view(slack, "trig-keep")
        assert keep["callback_id"] == "review_keep"
        next_review = (review_on + timedelta(days=90)).date().isoformat()
        reply = bot.client.view_submission(
            "review_keep",
            {
                "next_review": {"value": {"type": "datepicker", "selected_date": next_review}},
                "actual": {"value": {"type": "static_select", "selected_option": {"value": "60"}}},
                "learned": {"value": {"type": "plain_text_input", "value": "Churn held steady"}},
            },
            private_metadata=keep["private_metadata"],
            user_id=OWNER,
        )
        assert reply.status == 200 and not reply.body.strip()
        kept = wait_row(bot, lambda d: d.status == "active" and d.review_on > review_on)
        # The note goes in the poll's thread (the record is a reply there, not a thread of its own).
        slack.wait_for(
            "chat.postMessage",
            predicate=lambda c: (
                c.params.get("thread_ts") == poll_ts and "kept" in str(c.params.get("text"))
            ),
        )
        # The record in the channel shows the next review date.
        wait_shown(slack, CHANNEL, str(row.record_ts), f"<!date^{int(kept.review_on.timestamp())}^")

        # --- 8. `/decisions D-1`: narrative and questions, dissent, review, reflection.
        url = slack.response_url("record")
        reply = bot.client.command(
            "/decisions", "D-1", user_id=OWNER, channel_id=CHANNEL, response_url=url
        )
        assert reply.status == 200
        slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == "record")
        shown_record = private_replies(bot, "record")
        assert "We raise list prices 5% on 1 March" in shown_record
        assert "*Narrative:* Pricing six-pager &amp; FAQ (2 questions)" in shown_record
        assert "Competitors move in April" in shown_record
        assert "Churn will spike &amp; hurt" in shown_record
        assert "keep" in shown_record.lower() and "Churn held steady" in shown_record
        assert "reflection answer" in shown_record

        # --- 9. The Home tab lists it.
        bot.client.event({"type": "app_home_opened", "user": OWNER, "tab": "home"})
        slack.wait_for("views.publish", predicate=lambda c: c.params.get("user_id") == OWNER)
        home = json.dumps(slack.home_tabs[OWNER]["blocks"])
        assert "D-1" in home and "We raise list prices 5% on 1 March" in home

        # --- 10. The export has it all.
        reply = bot.client.command("/decisions", "export all", user_id=OWNER)
        assert "Preparing" in reply.json()["text"]
        done = slack.wait_for("files.completeUploadExternal", timeout=20)
        file_id = as_dict(done[0].params["files"])[0]["id"]
        wb = load_workbook(io.BytesIO(slack.uploads[file_id]))

    def sheet(name: str) -> list[dict[str, Any]]:
        rows = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    def col(rowdict: dict[str, Any], prefix: str) -> Any:
        return next(v for k, v in rowdict.items() if str(k).startswith(prefix))

    decisions = sheet("Decisions")
    assert [r["ID"] for r in decisions] == ["D-1"]
    only = decisions[0]
    assert col(only, "Narrative") == "Pricing six-pager & FAQ"
    assert col(only, "Narrative questions") == 2
    assert only["Owner"] == f"User {OWNER}" and only["Channel"] == "#c0general"
    assert only["Status"] == "Active" and only["Last review"] == "Kept"
    assert f"User {CAT} (Disagree): Churn will spike & hurt" in only["Dissent (name: reason)"]
    votes = sheet("Votes")
    assert sorted((str(v["Voter"]), v["Choice"], v["Reason"]) for v in votes) == [
        (f"User {ANA}", "Agree", None),
        (f"User {BEN}", "Disagree, but commit", "Competitors move in April"),
        (f"User {CAT}", "Disagree", "Churn will spike & hurt"),
    ]
    reviews = sheet("Reviews")
    assert len(reviews) == 1 and "Kept" in json.dumps(reviews[0], default=str)
    assert isinstance(col(reviews[0], "Due"), datetime)
    qs = sheet("Questions")
    assert sorted(str(col(q, "Question")) for q in qs) == ["What happens to churn?", "Why March?"]
    reflections = sheet("Reflections")
    assert len(reflections) == 1
    assert col(reflections[0], "Decision") == "D-1"
    assert "without a churn model" in json.dumps(reflections[0], default=str)
