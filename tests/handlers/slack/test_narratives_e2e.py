"""Narrative meetings end to end: signed Slack requests in, Slack Web API calls out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from storage.db import session_scope
from storage.models import Narrative, NarrativeReader, Question, QuestionUpvote
from tests.conftest import RunningBot
from tests.slack_double import Call

CHANNEL = "C0GENERAL"
OWNER = "U0ALICE"
ANA, BEN, CAT, DAN = "U0ANA", "U0BEN", "U0CAT", "U0DAN"


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until `check()` is truthy (listeners run after the ack, in Bolt's thread pool)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def all_text(blocks: list[dict[str, Any]] | None) -> str:
    """Every piece of text in a block list, joined (section texts, contexts, button labels)."""
    return json.dumps(blocks or [], ensure_ascii=False)


def action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    return [
        element["action_id"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def questions(bot: RunningBot) -> list[Question]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Question).order_by(Question.id)))


def upvotes(bot: RunningBot) -> int:
    with session_scope(bot.core.engine) as session:
        return len(list(session.exec(select(QuestionUpvote))))


def done_readers(bot: RunningBot) -> list[str]:
    with session_scope(bot.core.engine) as session:
        rows = session.exec(select(NarrativeReader).where(NarrativeReader.done_at.is_not(None)))  # type: ignore[union-attr]
        return sorted(r.user_id for r in rows)


def narrative_row(bot: RunningBot) -> Narrative:
    with session_scope(bot.core.engine) as session:
        return session.exec(select(Narrative)).one()


def blocks_of(call: Call) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def message_ts(bot: RunningBot, call: Call) -> str:
    """The ts the double gave the message posted by `call`."""
    found = [
        m
        for m in bot.slack.messages.values()
        if m["channel"] == call.params["channel"] and m["blocks"] == blocks_of(call)
    ]
    assert len(found) == 1
    return str(found[0]["ts"])


def start(bot: RunningBot, text: str) -> Call:
    reply = bot.client.command("/narrative", text, user_id=OWNER, channel_id=CHANNEL)
    assert reply.status == 200
    posted = bot.slack.wait_for("chat.postMessage")[0]
    # The bot stores the message's ts just after Slack answers; people reply after that.
    eventually(lambda: narrative_row(bot).message_ts)
    return posted


def reply_in_thread(bot: RunningBot, thread_ts: str, user: str, text: str, **kw: Any) -> str:
    reply, ts = bot.client.message(CHANNEL, text, user=user, thread_ts=thread_ts, **kw)
    assert reply.status == 200
    return ts


def edit(bot: RunningBot, thread_ts: str, ts: str, user: str, text: str) -> None:
    bot.client.event(
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": CHANNEL,
            "hidden": True,
            "ts": f"{ts}9",
            "message": {
                "type": "message",
                "user": user,
                "text": text,
                "ts": ts,
                "thread_ts": thread_ts,
                "edited": {"user": user, "ts": f"{ts}9"},
            },
            "previous_message": {"type": "message", "user": user, "ts": ts, "thread_ts": thread_ts},
        }
    )


def delete(bot: RunningBot, thread_ts: str, ts: str, user: str) -> None:
    bot.client.event(
        {
            "type": "message",
            "subtype": "message_deleted",
            "channel": CHANNEL,
            "hidden": True,
            "deleted_ts": ts,
            "ts": f"{ts}8",
            "previous_message": {"type": "message", "user": user, "ts": ts, "thread_ts": thread_ts},
        }
    )


def react(bot: RunningBot, ts: str, user: str, name: str = "+1", added: bool = True) -> None:
    bot.client.event(
        {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user,
            "reaction": name,
            "item": {"type": "message", "channel": CHANNEL, "ts": ts},
            "event_ts": f"{time.time():.6f}",
        }
    )


def press(bot: RunningBot, action_id: str, narrative_id: int, user: str, message_ts: str) -> None:
    reply = bot.client.block_action(
        action_id, str(narrative_id), user_id=user, channel_id=CHANNEL, message_ts=message_ts
    )
    assert reply.status == 200


def ask_privately(bot: RunningBot, narrative_id: int, user: str, text: str, ts: str) -> None:
    trigger = f"trig-ask-{user}-{ts}-{text}"
    reply = bot.client.block_action(
        "narrative_ask",
        str(narrative_id),
        user_id=user,
        channel_id=CHANNEL,
        message_ts=ts,
        trigger_id=trigger,
    )
    assert reply.status == 200
    opened = bot.slack.wait_for(
        "views.open", predicate=lambda c: c.params.get("trigger_id") == trigger
    )[0]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "narrative_ask_submit"
    reply = bot.client.view_submission(
        view["callback_id"],
        {"question": {"value": {"type": "plain_text_input", "value": text}}},
        private_metadata=view["private_metadata"],
        user_id=user,
    )
    assert reply.status == 200


def digest_messages(bot: RunningBot, thread_ts: str) -> list[Call]:
    return [
        c
        for c in bot.slack.calls("chat.postMessage")
        if c.params.get("thread_ts") == thread_ts
        and "digest" in str(c.params.get("text"))
        and c.error is None
    ]


@pytest.mark.parametrize("restart", [False, True], ids=["straight", "with-restart"])
def test_done_when_scenario(bot: RunningBot, restart: bool) -> None:
    done_when_scenario(bot, restart)


def test_done_when_scenario_on_postgresql(pg_bot: RunningBot) -> None:
    done_when_scenario(pg_bot, restart=True)


def done_when_scenario(bot: RunningBot, restart: bool) -> None:
    """Posted with buttons; three reply, one edits, one deletes, one asks privately, two are
    done; at the due time the digest lists exactly the surviving questions in order."""
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        posted = start(
            bot,
            f"20m <@{ANA}|ana> <@{BEN}|ben> <@{CAT}|cat> Q3 pricing six-pager "
            "<https://docs.example.com/q3>",
        )
        ts = message_ts(bot, posted)
        blocks = bot.slack.messages[(CHANNEL, ts)]["blocks"]
        text = all_text(blocks)
        assert action_ids(blocks) == ["narrative_done", "narrative_ask", "narrative_end"]
        assert "Q3 pricing six-pager" in text
        assert "https://docs.example.com/q3" in text
        assert "0 of 3 expected readers done" in text
        assert "<!date^" in text, "the end time is shown in each reader's time zone"
        assert "Reply in this thread" in text
        narrative_id = narrative_row(bot).id
        assert narrative_id is not None

        # Three participants reply in the thread; a bot's reply is ignored.
        q_ana = reply_in_thread(bot, ts, ANA, "What happens to churn?")
        clock.tick(timedelta(seconds=5))
        q_ben = reply_in_thread(bot, ts, BEN, "Why March?")
        clock.tick(timedelta(seconds=5))
        q_cat = reply_in_thread(bot, ts, CAT, "Is this a typo on page 2?")
        reply_in_thread(bot, ts, None, "beep", bot_id="B0OTHER", subtype="bot_message")  # type: ignore[arg-type]
        acks = bot.slack.wait_for("reactions.add", 3)
        assert sorted(c.params["timestamp"] for c in acks) == sorted([q_ana, q_ben, q_cat])
        eventually(lambda: len(questions(bot)) == 3)

        # Ben edits his reply.
        edit(bot, ts, q_ben, BEN, "Why March and not April?")
        eventually(lambda: any(q.text == "Why March and not April?" for q in questions(bot)))

        if restart:
            bot.restart()

        # Cat deletes hers; Ana's question gets no 👍, Ben's gets two (one added and removed).
        delete(bot, ts, q_cat, CAT)
        eventually(lambda: any(q.deleted_at is not None for q in questions(bot)))
        react(bot, q_ben, ANA)
        react(bot, q_ben, CAT, "thumbsup")
        react(bot, q_ben, DAN, "+1::skin-tone-3")
        react(bot, q_ana, OWNER, "tada")
        eventually(lambda: upvotes(bot) == 3)
        react(bot, q_ben, DAN, "+1", added=False)
        eventually(lambda: upvotes(bot) == 2)

        # Dan asks privately; Ana and Ben are done (Ana twice: counted once).
        clock.tick(timedelta(seconds=5))
        ask_privately(bot, narrative_id, DAN, "Can we afford the <!channel> discount?", ts)
        eventually(lambda: len(questions(bot)) == 4)
        updates_before = len(bot.slack.calls("chat.update"))
        press(bot, "narrative_done", narrative_id, ANA, ts)
        bot.slack.wait_for("chat.update", updates_before + 1)
        press(bot, "narrative_done", narrative_id, ANA, ts)
        bot.slack.wait_for(
            "chat.postEphemeral", predicate=lambda c: "already counted" in c.params["text"]
        )
        press(bot, "narrative_done", narrative_id, BEN, ts)
        bot.slack.wait_for("chat.update", updates_before + 2)
        assert done_readers(bot) == [ANA, BEN]
        progress = all_text(bot.slack.messages[(CHANNEL, ts)]["blocks"])
        assert "2 of 3 expected readers done" in progress
        assert f"Still reading: <@{CAT}>" in progress

        # Nothing happens before the due time.
        clock.move_to("2026-12-01 09:19:00")
        assert bot.run_timers() == 0
        assert digest_messages(bot, ts) == []

        # At the due time: the digest, and the message says reading is over.
        clock.move_to("2026-12-01 09:20:01")
        assert bot.run_timers() == 1
        digests = digest_messages(bot, ts)
        assert len(digests) == 1
        digest = all_text(blocks_of(digests[0]))
        order = [digest.find(s) for s in ("Why March and not April?", "churn", "afford")]
        assert -1 not in order and order == sorted(order), digest
        assert "typo" not in digest
        assert "Why March?" not in digest
        assert "asked privately" in digest
        assert DAN not in digest, "a private question never shows its author"
        assert "<!channel>" not in digest and "&lt;!channel&gt;" in digest
        assert f"<@{BEN}>" in digest and "👍 2" in digest
        assert "2 of 3 expected readers finished" in digest
        propose = [
            e for b in blocks_of(digests[0]) if b["type"] == "actions" for e in b["elements"]
        ]
        assert {"propose_decision": str(narrative_id)} == {
            e["action_id"]: e["value"] for e in propose
        }
        over = all_text(bot.slack.messages[(CHANNEL, ts)]["blocks"])
        assert "Reading is over" in over
        assert "narrative_done" not in over

        # Later runs and replies after reading do not change the digest.
        clock.move_to("2026-12-01 09:30:00")
        bot.run_timers()
        late = reply_in_thread(bot, ts, CAT, "One more thing?")
        bot.slack.wait_for("reactions.add", 4)
        late_q = eventually(lambda: [q for q in questions(bot) if q.message_ts == late])
        assert late_q[0].after_reading is True
        press(bot, "narrative_end", narrative_id, OWNER, ts)
        bot.slack.wait_for(
            "chat.postEphemeral", predicate=lambda c: "already over" in c.params["text"]
        )
        assert len(digest_messages(bot, ts)) == 1


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("5h Q3 pricing", "outside 1 minute to 4 hours"),
        ("30s Q3 pricing", "outside 1 minute to 4 hours"),
        ("1.5h Q3 pricing", "is not a reading time"),
        ("0m Q3 pricing", "outside 1 minute to 4 hours"),
        (f"20m <@{ANA}>", "title or a link"),
    ],
)
def test_bad_input_gets_a_private_explanation_with_usage(
    bot: RunningBot, text: str, why: str
) -> None:
    reply = bot.client.command("/narrative", text, user_id=OWNER, channel_id=CHANNEL)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert why in body["text"]
    assert "/narrative [DURATION]" in body["text"], "the usage comes with the explanation"
    bot.wait_idle()
    assert bot.slack.calls("chat.postMessage") == []
    with session_scope(bot.core.engine) as session:
        assert list(session.exec(select(Narrative))) == []


def test_only_the_owner_or_an_admin_ends_reading_early(bot: RunningBot) -> None:
    bot.slack.users["U0BOSS"] = {"is_admin": True}
    ts = message_ts(bot, start(bot, f"30m <@{ANA}> Hiring plan"))
    narrative_id = narrative_row(bot).id
    assert narrative_id is not None

    press(bot, "narrative_end", narrative_id, BEN, ts)
    refused = bot.slack.wait_for("chat.postEphemeral")[0]
    assert refused.params["user"] == BEN and "Only the narrative's owner" in refused.params["text"]
    reply = bot.client.command("/narrative", "end", user_id=BEN, channel_id=CHANNEL)
    assert reply.status == 200
    bot.slack.wait_for("chat.postEphemeral", 2)
    assert narrative_row(bot).state == "reading"
    assert digest_messages(bot, ts) == []

    bot.client.command("/narrative", "end", user_id="U0BOSS", channel_id=CHANNEL)
    bot.slack.wait_for("chat.postMessage", 2)
    assert narrative_row(bot).state == "ended"
    assert narrative_row(bot).end_reason == "owner"
    assert len(digest_messages(bot, ts)) == 1
    assert "Reading is over" in all_text(bot.slack.messages[(CHANNEL, ts)]["blocks"])

    # The moved timer finds the digest posted and posts nothing more.
    bot.run_timers()
    assert len(digest_messages(bot, ts)) == 1


def test_owner_ends_with_the_button_once(bot: RunningBot) -> None:
    ts = message_ts(bot, start(bot, "Roadmap https://docs.example.com/r"))
    narrative_id = narrative_row(bot).id
    assert narrative_id is not None
    press(bot, "narrative_end", narrative_id, OWNER, ts)
    press(bot, "narrative_end", narrative_id, OWNER, ts)
    bot.slack.wait_for("chat.postEphemeral", predicate=lambda c: "already over" in c.params["text"])
    # The first press posts the digest after its ack; wait for it before counting.
    bot.slack.wait_for(
        "chat.postMessage",
        predicate=lambda c: (
            c.params.get("thread_ts") == ts and "digest" in str(c.params.get("text"))
        ),
    )
    bot.core.timers.run_due()
    assert len(digest_messages(bot, ts)) == 1
    digest = all_text(blocks_of(digest_messages(bot, ts)[0]))
    assert "No questions were asked" in digest
    assert "0 readers finished" in digest


def test_reading_ends_when_every_expected_reader_is_done(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        ts = message_ts(bot, start(bot, f"1h <@{ANA}> <@{BEN}> Pricing"))
        narrative_id = narrative_row(bot).id
        assert narrative_id is not None
        reply_in_thread(bot, ts, ANA, "First question")
        bot.slack.wait_for("reactions.add")
        press(bot, "narrative_done", narrative_id, ANA, ts)
        press(bot, "narrative_done", narrative_id, DAN, ts)  # not expected: counted, ends nothing
        eventually(lambda: len(done_readers(bot)) == 2)
        assert narrative_row(bot).state == "reading"
        press(bot, "narrative_done", narrative_id, BEN, ts)
        eventually(lambda: digest_messages(bot, ts))
        row = narrative_row(bot)
        assert row.state == "ended" and row.end_reason == "all_done"
        digest = all_text(blocks_of(digest_messages(bot, ts)[0]))
        assert "First question" in digest
        assert "2 of 2 expected readers finished, and 1 more" in digest
        clock.move_to("2026-12-01 10:00:01")
        bot.run_timers()
        assert len(digest_messages(bot, ts)) == 1


def test_a_burst_of_done_clicks_updates_the_message_in_order_about_once_a_second(
    bot: RunningBot,
) -> None:
    ts = message_ts(bot, start(bot, "All hands memo"))
    narrative_id = narrative_row(bot).id
    assert narrative_id is not None
    readers = [f"U0READER{i}" for i in range(12)]
    threads = [
        threading.Thread(target=press, args=(bot, "narrative_done", narrative_id, r, ts))
        for r in readers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    eventually(lambda: "12 done" in all_text(bot.slack.messages[(CHANNEL, ts)]["blocks"]))
    updates = [c for c in bot.slack.calls("chat.update") if c.params.get("ts") == ts]
    # Coalesced: far fewer updates than clicks, never two within a second, the last one exact.
    assert 1 <= len(updates) <= 4, len(updates)
    gaps = [b.at - a.at for a, b in zip(updates, updates[1:], strict=False)]
    assert all(gap >= 0.99 for gap in gaps), gaps
    assert "12 done" in all_text(blocks_of(updates[-1]))


def test_retried_event_is_stored_once(bot: RunningBot) -> None:
    ts = message_ts(bot, start(bot, "Retry plan"))
    event_id = "Ev0RETRY0001"
    reply, q_ts = bot.client.message(
        CHANNEL, "Same question", user=ANA, thread_ts=ts, event_id=event_id
    )
    assert reply.status == 200
    again, _ = bot.client.message(
        CHANNEL, "Same question", user=ANA, thread_ts=ts, ts=q_ts, event_id=event_id, retry_num=1
    )
    assert again.status == 200
    # A second delivery under a new event id (Slack does that too) finds the stored message.
    bot.client.message(CHANNEL, "Same question", user=ANA, thread_ts=ts, ts=q_ts)
    bot.slack.wait_for("reactions.add")
    bot.wait_idle()
    assert [q.text for q in questions(bot)] == ["Same question"]
    assert len(bot.slack.calls("reactions.add")) == 1


def test_a_reply_that_arrives_before_slack_answered_the_post_is_still_collected(
    bot: RunningBot,
) -> None:
    # Slack is slow to answer chat.postMessage; meanwhile the message is visible in the
    # channel and someone replies in its thread, before the bot knows the thread's ts.
    hold = bot.slack.hold_next("chat.postMessage")
    reply = bot.client.command("/narrative", "Hiring plan", user_id=OWNER, channel_id=CHANNEL)
    assert reply.status == 200
    assert hold.reached.wait(5)
    ts = str(hold.payload["ts"])
    assert narrative_row(bot).message_ts is None
    reply_in_thread(bot, ts, ANA, "Who approves the budget?")  # acknowledged at once (200)
    hold.release()
    eventually(lambda: [q.text for q in questions(bot)] == ["Who approves the budget?"])
    ack = bot.slack.wait_for("reactions.add")[0]
    assert ack.params["timestamp"] != ts and narrative_row(bot).message_ts == ts


def test_user_text_cannot_mention_the_channel(bot: RunningBot) -> None:
    posted = start(bot, "<!channel> <!here|here> launch & <b>plan</b>")
    ts = message_ts(bot, posted)
    shown = json.dumps(bot.slack.messages[(CHANNEL, ts)], ensure_ascii=False)
    assert "<!channel>" not in shown and "<!here" not in shown
    assert "<b>" not in shown
    assert "@channel @here launch &amp; &lt;b&gt;plan&lt;/b&gt;" in shown
    reply_in_thread(bot, ts, ANA, "<!everyone> what about <@U0BEN>?")
    bot.slack.wait_for("reactions.add")
    assert questions(bot)[0].text == "@everyone what about <@U0BEN>?"


def test_status_and_help(bot: RunningBot) -> None:
    reply = bot.client.command("/narrative", "status", channel_id=CHANNEL)
    assert "No reading period" in reply.json()["text"]
    start(bot, f"<@{ANA}> Budget review")
    reply = bot.client.command("/narrative", "status", user_id=BEN, channel_id=CHANNEL)
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "Budget review" in body["text"] and "0 of 1 expected readers done" in body["text"]
    other = bot.client.command("/narrative", "status", channel_id="C0OTHER")
    assert "No reading period" in other.json()["text"]
    assert "/narrative status" in bot.client.command("/narrative", "help").json()["text"]


def start_from_modal(bot: RunningBot, **fields: Any) -> Any:
    trigger = f"trig-start-{len(bot.slack.calls())}"
    reply = bot.client.command(
        "/narrative", "", user_id=OWNER, channel_id=CHANNEL, trigger_id=trigger
    )
    assert reply.status == 200
    opened = bot.slack.wait_for(
        "views.open", predicate=lambda c: c.params.get("trigger_id") == trigger
    )[0]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "narrative_start"
    values = {
        "title": {"value": {"type": "plain_text_input", "value": fields.get("title", "")}},
        "link": {"value": {"type": "plain_text_input", "value": fields.get("link", "")}},
        "body": {"value": {"type": "plain_text_input", "value": fields.get("body", "")}},
        "kind": {
            "value": {
                "type": "static_select",
                "selected_option": {"value": fields.get("kind", "other")},
            }
        },
        "reading": {"value": {"type": "plain_text_input", "value": fields.get("reading", "20m")}},
        "readers": {
            "value": {"type": "multi_users_select", "selected_users": fields.get("readers", [])}
        },
    }
    return bot.client.view_submission(
        "narrative_start", values, private_metadata=view["private_metadata"], user_id=OWNER
    )


def test_modal_with_pasted_text_posts_it_whole_and_lints_for_the_owner(bot: RunningBot) -> None:
    paragraph = "We will change how pricing works for every customer in the spring. " * 40
    body = "\n\n".join(f"Part {i}. {paragraph}" for i in range(60))  # ~165k characters
    reply = start_from_modal(
        bot, title="Q3 pricing", body=body, kind="six-pager", reading="20m", readers=[ANA]
    )
    assert reply.status == 200
    lint = bot.slack.wait_for("chat.postEphemeral")[0]
    assert lint.params["user"] == OWNER
    assert "words" in lint.params["text"] and "over six pages" in lint.params["text"]
    posts = bot.slack.calls("chat.postMessage")
    assert len(posts) >= 2, "a long narrative continues in further messages"
    shown = "".join(
        b["text"]["text"]
        for call in posts
        for b in blocks_of(call)
        if b["type"] == "section" and "Part " in b["text"]["text"]
    )
    assert shown.replace("\n", "").replace(" ", "") == body.replace("\n", "").replace(" ", "")
    for call in posts:
        assert len(blocks_of(call)) <= 50
        assert all(
            len(b["text"]["text"]) <= 3000 for b in blocks_of(call) if b["type"] == "section"
        )
    row = narrative_row(bot)
    assert row.kind == "six-pager" and row.body == body.strip()
    main = bot.slack.messages[(CHANNEL, row.message_ts)]
    assert "0 of 1 expected readers done" in all_text(main["blocks"])


def test_modal_refuses_a_bad_reading_time(bot: RunningBot) -> None:
    reply = start_from_modal(bot, title="X", reading="9h")
    body = reply.json()
    assert body["response_action"] == "errors"
    assert "reading" in body["errors"]
    bot.wait_idle()
    assert bot.slack.calls("chat.postMessage") == []


def test_another_workspace_cannot_touch_a_narrative(bot: RunningBot) -> None:
    ts = message_ts(bot, start(bot, "Secret plan"))
    narrative_id = narrative_row(bot).id
    reply = bot.client.block_action(
        "narrative_end", str(narrative_id), user_id=OWNER, message_ts=ts, team_id="T0OTHER"
    )
    assert reply.status == 200
    bot.client.message(CHANNEL, "Sneaky?", user=ANA, thread_ts=ts, team_id="T0OTHER")
    bot.wait_idle()
    assert narrative_row(bot).state == "reading"
    assert questions(bot) == []


def test_digest_is_posted_by_the_timer_retry_when_slack_fails(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        ts = message_ts(bot, start(bot, "5m Outage review"))
        reply_in_thread(bot, ts, ANA, "What broke?")
        bot.slack.wait_for("reactions.add")
        clock.move_to("2026-12-01 09:05:01")
        bot.slack.fail_next("chat.postMessage", error="fatal_error")
        assert bot.run_timers() == 1
        assert digest_messages(bot, ts) == []
        assert narrative_row(bot).state == "ended"
        clock.move_to("2026-12-01 09:05:40")  # the first retry comes 30 seconds later
        bot.restart()
        assert bot.run_timers() == 1
        digests = digest_messages(bot, ts)
        assert len(digests) == 1 and "What broke?" in all_text(blocks_of(digests[0]))
        clock.move_to("2026-12-01 10:00:00")
        assert bot.run_timers() == 0
        assert len(digest_messages(bot, ts)) == 1


def test_a_channel_the_bot_cannot_post_in_gets_a_private_explanation(bot: RunningBot) -> None:
    bot.slack.fail_next("chat.postMessage", error="not_in_channel")
    reply = bot.client.command("/narrative", "Q3 plan", user_id=OWNER, channel_id="C0SECRET")
    assert reply.status == 200
    told = bot.slack.wait_for("chat.postEphemeral")[0]
    assert told.params["user"] == OWNER and "/invite @Narrative" in told.params["text"]
    assert narrative_row(bot).state == "ended"
    bot.run_timers()
    assert [c for c in bot.slack.calls("chat.postMessage") if c.error is None] == []
