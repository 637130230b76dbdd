"""Narrative meetings end to end: signed Slack requests in, Slack Web API calls out."""

from __future__ import annotations

import json
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
    return bot.slack.wait_for("chat.postMessage")[0]


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
    before = len(bot.slack.calls("views.open"))
    press(bot, "narrative_ask", narrative_id, user, ts)
    opened = bot.slack.wait_for("views.open", before + 1)[-1]
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
        if c.params.get("thread_ts") == thread_ts and "digest" in str(c.params.get("text"))
    ]


@pytest.mark.parametrize("restart", [False, True], ids=["straight", "with-restart"])
def test_done_when_scenario(bot: RunningBot, restart: bool) -> None:
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
        react(bot, q_ben, DAN, "+1", added=False)
        react(bot, q_ana, OWNER, "tada")
        eventually(lambda: upvotes(bot) == 2)
        time.sleep(0.2)  # let the removal land
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
