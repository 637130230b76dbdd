"""Reading periods in Teams, end to end through the Teams double on SQLite and PostgreSQL:
start, progress, a second click, questions in the card's thread (edited, deleted, liked), a
private question, the three ways reading ends, the digest exactly once (also after a restart),
the start dialog, group chats and a digest too long for one card."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from storage.db import session_scope
from storage.models import Narrative, NarrativeReader, Question, QuestionUpvote
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import (
    BOT,
    CHANNEL,
    Call,
    TeamsDouble,
    activity,
    click,
    in_thread,
    message_delete,
    message_reaction,
    message_update,
    task,
    thread_reply,
)

ANA, BEN, CY, DAN = "29:ana", "29:ben", "29:cy", "29:dan"
NAMES = {ANA: "Ana", BEN: "Ben", CY: "Cy", DAN: "Dan"}
CHAT = "19:chat-1@thread.v2"


@pytest.fixture
def running(teams: TeamsDouble, any_db_url: str) -> Iterator[TeamsBotRunning]:
    bot = TeamsBotRunning(teams, any_db_url)
    yield bot
    bot.stop()


def who(person: str) -> dict[str, str]:
    return {"user": person, "user_name": NAMES[person]}


def command(double: TeamsDouble, text: str, *people: str, **kw: Any) -> dict[str, Any]:
    """`@Narrative <text>` mentioning `people` too (`{Ben}` in `text` becomes their tag)."""
    entities = [
        {"type": "mention", "text": "<at>Narrative</at>", "mentioned": {"id": BOT, "name": "N"}}
    ]
    for person in people:
        tag = f"<at>{NAMES[person]}</at>"
        text = text.replace("{" + NAMES[person] + "}", tag)
        entities.append(
            {"type": "mention", "text": tag, "mentioned": {"id": person, "name": NAMES[person]}}
        )
    return activity(
        double,
        "message",
        text=f"<at>Narrative</at> {text}",
        entities=entities,
        **{**who(ANA), **kw},
    )


def narrative(bot: TeamsBotRunning) -> Narrative:
    """The newest narrative."""
    with session_scope(bot.core.engine) as session:
        return session.exec(select(Narrative).order_by(Narrative.id.desc())).first()  # type: ignore[union-attr,return-value]


def questions(bot: TeamsBotRunning) -> list[Question]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Question).order_by(Question.id)))


def done_readers(bot: TeamsBotRunning) -> list[str]:
    with session_scope(bot.core.engine) as session:
        found = session.exec(select(NarrativeReader).where(NarrativeReader.done_at.is_not(None)))  # type: ignore[union-attr]
        return sorted(r.user_id for r in found)


def upvotes(bot: TeamsBotRunning) -> int:
    with session_scope(bot.core.engine) as session:
        return len(list(session.exec(select(QuestionUpvote))))


def start(bot: TeamsBotRunning, text: str, *people: str, place: str = CHANNEL, **kw: Any) -> Call:
    """Start a reading period; the card once it is posted and its id stored."""
    kw.setdefault("conversation", place)
    status, _ = bot.send(command(bot.double, text, *people, **kw))
    assert status == 202
    posted = bot.double.wait_for(lambda: bot.double.posts(place))[0]
    bot.wait_idle()
    assert narrative(bot).message_ts == posted.answered_id
    return posted


def replies(double: TeamsDouble, card: Call, place: str = CHANNEL) -> list[Call]:
    """The bot's replies to the card (the digest's parts)."""
    return [c for c in double.posts(place) if c.activity_id == card.answered_id]


def digest_text(double: TeamsDouble, card: Call, place: str = CHANNEL) -> str:
    return "\n".join(c.card_text for c in replies(double, card, place))


def mentioned(call: Call) -> set[str]:
    entities = ((call.card or {}).get("msteams") or {}).get("entities") or []
    return {e["mentioned"]["id"] for e in entities}


def ask(bot: TeamsBotRunning, narrative_id: int, person: str, text: str) -> Any:
    data = {"verb": "narrative_ask", "narrative": narrative_id, "question": text}
    status, body = bot.send(task(bot.double, "task/submit", data, **who(person)))
    assert status == 200
    return body


def test_the_reading_journey_in_teams(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        card = start(
            running, "narrative 20m {Ben} {Cy} Q3 pricing https://docs.example.com/q3", BEN, CY
        )
        assert "Q3 pricing" in card.card_text and "https://docs.example.com/q3" in card.card_text
        assert "0 of 2 expected readers done" in card.card_text
        assert [a["title"] for a in card.card["actions"]] == [
            "I'm done reading",
            "Ask privately",
            "End reading now",
        ]
        assert mentioned(card) == {ANA, BEN, CY}  # the owner, and Ben and Cy still reading
        card_id, n_id = card.answered_id, int(narrative(running).id or 0)
        assert card_id is not None

        # Ben is done: the card shows it in place; his second click counts once.
        status, body = send(
            click(double, "narrative_done", {"narrative": n_id}, reply_to=card_id, **who(BEN))
        )
        assert status == 200 and body["statusCode"] == 200
        double.wait_for(
            lambda: any(
                "1 of 2 expected readers done" in c.card_text for c in double.updates(card_id)
            )
        )
        status, body = send(
            click(double, "narrative_done", {"narrative": n_id}, reply_to=card_id, **who(BEN))
        )
        assert body["value"] == "You are already counted as done. Thank you!"
        assert done_readers(running) == [BEN]

        # Questions in the card's thread: Ben's, Cy's (then edited), Dan's (then deleted).
        for person, text in ((BEN, "What about EMEA?"), (CY, "Why March?"), (DAN, "typo")):
            clock.tick(timedelta(seconds=5))
            reply = thread_reply(double, card_id, text, **who(person), id=f"msg-{person}")
            assert send(reply)[0] == 202
        assert [q.text for q in questions(running)] == ["What about EMEA?", "Why March?", "typo"]
        there = {"conversation": in_thread(card_id)}
        # Cy edits twice (Teams gives both edits the message's own id); Dan deletes his.
        for text in ("Why March, not May?", "Why March, not April?"):
            assert send(message_update(double, f"msg-{CY}", text, **who(CY), **there))[0] == 202
        assert send(message_delete(double, f"msg-{DAN}", **who(DAN), **there))[0] == 202
        assert [q.text for q in questions(running) if q.deleted_at is None] == [
            "What about EMEA?",
            "Why March, not April?",
        ]
        # 👍: Ana and Dan like Cy's; Ana likes Ben's then takes it back; a heart does not count.
        for person, message, added, kind in (
            (ANA, f"msg-{CY}", True, "like"),
            (DAN, f"msg-{CY}", True, "like"),
            (ANA, f"msg-{BEN}", True, "like"),
            (ANA, f"msg-{BEN}", False, "like"),
            (DAN, f"msg-{BEN}", True, "heart"),
        ):
            reaction = message_reaction(
                double,
                message,
                added=added,
                kind=kind,
                **who(person),
                conversation=in_thread(card_id),
            )
            assert send(reaction)[0] == 202
        assert upvotes(running) == 2

        # Dan asks privately: an empty question keeps the dialog open, then it is recorded.
        status, body = send(
            task(double, "task/fetch", {"verb": "narrative_ask", "narrative": n_id}, **who(DAN))
        )
        assert body["task"]["value"]["title"] == "Ask privately"
        body = ask(running, n_id, DAN, "  ")
        assert body["task"]["type"] == "continue" and "Write your question." in json.dumps(body)
        clock.tick(timedelta(seconds=5))
        body = ask(running, n_id, DAN, "Is this funded?")
        assert (
            body["task"]["value"]
            == "Your question is recorded; the digest shows it without your name."
        )

        # Cy, the last expected reader, is done: reading ends, the card says so, one digest.
        send(click(double, "narrative_done", {"narrative": n_id}, reply_to=card_id, **who(CY)))
        running.wait_idle()
        double.wait_for(lambda: replies(double, card))
        final = double.updates(card_id)[-1]
        assert (
            "Reading is over" in final.card_text
            and "every expected reader is done" in final.card_text
        )
        assert "actions" not in final.card
        (digest,) = replies(double, card)
        text = digest.card_text
        assert "3 questions, most 👍 first" in text and "2 of 2 expected readers finished" in text
        order = [
            text.index(q) for q in ("Why March, not April?", "What about EMEA?", "Is this funded?")
        ]
        assert order == sorted(order) and "typo" not in text
        assert "👍 2" in text and "asked privately" in text
        assert DAN not in mentioned(digest), "a private question stays anonymous"
        # Its button opens the proposal form about this narrative.
        (propose,) = digest.card["actions"]
        status, body = send(task(double, "task/fetch", propose["data"], **who(ANA)))
        assert body["task"]["value"]["title"] == "Propose a decision"
        assert "About the narrative **Q3 pricing**" in json.dumps(body, ensure_ascii=False)

        # Exactly once: the timer at the due time, the owner's end and a late click add nothing.
        clock.move_to("2026-12-01 09:30:00")
        running.core.timers.run_due()
        status, body = send(
            click(double, "narrative_end", {"narrative": n_id}, reply_to=card_id, **who(ANA))
        )
        assert body["value"] == "Reading is already over."
        running.wait_idle()
        assert len(replies(double, card)) == 1


def test_reading_ends_by_timer_and_by_owner(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        card = start(running, "narrative 1m Timed narrative")
        card_id = card.answered_id
        assert card_id is not None
        assert "0 done" in card.card_text
        send(thread_reply(double, card_id, "Who owns this?", **who(BEN)))
        assert running.core.timers.run_due() == 0
        clock.move_to("2026-12-01 09:01:01")
        running.core.timers.run_due()
        running.wait_idle()
        assert "time is up" in double.updates(card_id)[-1].card_text
        assert "Who owns this?" in digest_text(double, card)
        clock.move_to("2026-12-01 09:10:00")
        running.core.timers.run_due()
        assert len(replies(double, card)) == 1

        # The second reading period: Ben may not end it; Ana ends it with a command.
        double.calls.clear()
        second = start(running, "narrative Owner ends this")
        second_id, n_id = second.answered_id, int(narrative(running).id or 0)
        assert second_id is not None
        status, body = send(
            click(double, "narrative_end", {"narrative": n_id}, reply_to=second_id, **who(BEN))
        )
        assert "Only the narrative's owner" in body["value"]
        assert send(command(double, "narrative status"))[0] == 202
        (status_card,) = double.wait_for(lambda: double.posts(double.chat_of(ANA)))
        assert "Owner ends this" in status_card.card_text
        assert send(command(double, "narrative end"))[0] == 202
        running.wait_idle()
        double.wait_for(lambda: replies(double, second))
        assert "ended early" in double.updates(second_id)[-1].card_text
        assert "No questions were asked" in digest_text(double, second)
        assert running.core.timers.run_due() == 1  # the reading_end timer, moved to now: no-op
        assert len(replies(double, second)) == 1


def test_the_start_dialog_and_the_private_check(teams: TeamsDouble, sqlite_url: str) -> None:
    teams.members[CHANNEL] = [{"id": BEN, "name": "Ben"}, {"id": CY, "name": "Cy"}]
    running = TeamsBotRunning(teams, sqlite_url)
    try:
        send = running.send
        assert send(command(teams, "narrative"))[0] == 202
        (button,) = teams.wait_for(lambda: teams.posts(CHANNEL))
        (action,) = button.card["actions"]
        assert action["title"] == "Start a narrative"
        status, body = send(task(teams, "task/fetch", action["data"], **who(ANA)))
        dialog = body["task"]["value"]
        assert dialog["title"] == "Start a narrative"
        fields = {e.get("id"): e for e in dialog["card"]["content"]["body"]}
        assert [c["value"] for c in fields["readers"]["choices"]] == [BEN, CY]
        form = {
            **action["data"],
            "title": "Bullets",
            "body": "- one\n- two\n- three\n- four",
            "kind": "other",
            "reading": "5 hours",
            "readers": f"{BEN},{CY}",
        }
        status, body = send(task(teams, "task/submit", form, **who(ANA)))
        content = body["task"]["value"]["card"]["content"]
        assert "outside 1 minute to 4 hours" in json.dumps(content)
        kept = {e.get("id"): e.get("value") for e in content["body"]}
        assert kept["title"] == "Bullets" and kept["readers"] == f"{BEN},{CY}"
        status, body = send(task(teams, "task/submit", {**form, "reading": "10m"}, **who(ANA)))
        assert (status, body) == (200, None)
        running.wait_idle()
        card = teams.wait_for(lambda: teams.posts(CHANNEL)[1:])[0]
        assert "- four" in card.card_text and "0 of 2 expected readers done" in card.card_text
        (check,) = teams.wait_for(lambda: teams.posts(teams.chat_of(ANA)))
        assert "Narrative check" in check.card_text and "bullet points" in check.card_text
    finally:
        running.stop()


def test_group_chat_questions_quote_the_card_or_come_during_reading(
    running: TeamsBotRunning,
) -> None:
    double, send = running.double, running.send
    chat = {"conversation": CHAT, "conversation_type": "groupChat"}
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        card = start(
            running, "narrative 10m Chat narrative", place=CHAT, conversation_type="groupChat"
        )
        card_id = card.answered_id
        assert card_id is not None
        send(
            activity(
                double, "message", text="Quoting: why now?", replyToId=card_id, **chat, **who(BEN)
            )
        )
        clock.tick(timedelta(seconds=5))
        send(activity(double, "message", text="And the budget?", **chat, **who(CY), id="chat-cy"))
        send(message_reaction(double, "chat-cy", **chat, **who(BEN)))
        assert [q.text for q in questions(running)] == ["Quoting: why now?", "And the budget?"]
        clock.move_to("2026-12-01 09:10:01")
        running.core.timers.run_due()
        running.wait_idle()
        # After reading, chat messages are chat again.
        send(activity(double, "message", text="Lunch?", **chat, **who(DAN)))
        assert len(questions(running)) == 2
        text = digest_text(double, card, CHAT)
        assert text.index("And the budget?") < text.index("Quoting: why now?")


def test_a_reading_that_ends_while_the_bot_is_down_is_digested_once(
    teams: TeamsDouble, any_db_url: str
) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        first = TeamsBotRunning(teams, any_db_url)
        try:
            card = start(first, "narrative 5m Down time")
            card_id = card.answered_id
            assert card_id is not None
            first.send(thread_reply(teams, card_id, "Still there?", **who(BEN)))
        finally:
            first.stop()
        clock.move_to("2026-12-01 09:30:00")
        again = TeamsBotRunning(teams, any_db_url)
        try:
            assert again.core.timers.run_due() >= 1
            again.wait_idle()
            assert "time is up" in teams.updates(card_id)[-1].card_text
            assert "Still there?" in digest_text(teams, card)
            clock.move_to("2026-12-01 10:00:00")
            again.core.timers.run_due()
            assert len(replies(teams, card)) == 1
        finally:
            again.stop()


def test_a_long_digest_is_split_into_cards_teams_takes(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time("2026-12-01 09:00:00", tick=True):
        card = start(running, "narrative Many questions")
        card_id, n_id = card.answered_id, int(narrative(running).id or 0)
        assert card_id is not None
        for number in range(24):
            text = f"Question {number:02d} " + "word " * 500
            send(thread_reply(double, card_id, text, **who(BEN)))
        send(click(double, "narrative_end", {"narrative": n_id}, reply_to=card_id, **who(ANA)))
        running.wait_idle()
        parts = double.wait_for(lambda: replies(double, card))
        assert len(parts) > 1
        assert all(len(json.dumps(c.body).encode()) < 28_000 for c in parts)
        text = "\n".join(c.card_text for c in parts)
        assert all(f"Question {n:02d}" in text for n in range(24))
        assert "Propose a decision" in json.dumps(parts[-1].card["actions"])
