"""Reflection rounds in Teams through the Teams double, on SQLite and PostgreSQL: each
`@Narrative reflect` subcommand, a scheduled round posted at its time, answers by dialog
(prefilled when reopened) and by thread reply (edited, deleted), one digest when the round
closes with participation counted against the channel's members."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.reflections import STANDARD_QUESTIONS
from bot.views.reflections import DigestAnswer, DigestPart, Participation, RoundDigest
from handlers.teams.cards import render
from storage.db import session_scope
from storage.models import ReflectionAnswer, ReflectionRound
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import (
    CHANNEL,
    Call,
    TeamsDouble,
    activity,
    mention_message,
    task,
    thread_reply,
)

ANA, BEN, CY, DAN = "29:ana", "29:ben", "29:cy", "29:dan"
NAMES = {ANA: "Ana", BEN: "Ben", CY: "Cy", DAN: "Dan"}


@pytest.fixture
def running(teams: TeamsDouble, any_db_url: str) -> Iterator[TeamsBotRunning]:
    teams.members[CHANNEL] = [{"id": p, "name": NAMES[p]} for p in (ANA, BEN, CY)]
    bot = TeamsBotRunning(teams, any_db_url)
    yield bot
    bot.stop()


def who(person: str) -> dict[str, str]:
    return {"user": person, "user_name": NAMES[person]}


def reflect(running: TeamsBotRunning, words: str, person: str = ANA) -> str:
    """`@Narrative reflect <words>`; the private answer (the newest card in the person's
    chat, waited for by count)."""
    chat = running.double.chat_of(person)
    before = len(running.double.posts(chat))
    status, _ = running.send(mention_message(running.double, f"reflect {words}", **who(person)))
    assert status == 202
    running.double.wait_for(lambda: len(running.double.posts(chat)) > before)
    return running.double.posts(chat)[before].card_text


def answers(running: TeamsBotRunning) -> list[ReflectionAnswer]:
    with session_scope(running.core.engine) as session:
        return list(session.exec(select(ReflectionAnswer).order_by(ReflectionAnswer.id)))


def rounds(running: TeamsBotRunning) -> list[ReflectionRound]:
    with session_scope(running.core.engine) as session:
        return list(session.exec(select(ReflectionRound).order_by(ReflectionRound.id)))


def round_cards(double: TeamsDouble) -> list[Call]:
    return [
        c
        for c in double.posts(CHANNEL)
        if c.activity_id is None and "Reflection round" in c.card_text
    ]


def inputs(dialog: dict[str, Any]) -> list[dict[str, Any]]:
    card = dialog["task"]["value"]["card"]["content"]
    return [e for e in card["body"] if e["type"].startswith("Input.")]


def test_each_subcommand_answers_in_teams_words(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    assert "reflect every monday 09:00" in reflect(running, "help")
    assert "I don't know reflect dance" in reflect(running, "dance")
    assert "could not read that schedule" in reflect(running, "every funday 09:00")
    assert "reflect pick` takes a number" in reflect(running, "pick 99").replace("\\", "")
    assert "is not a duration" in reflect(running, "now for ever").replace("\\", "")

    # A schedule in the scheduler's time zone (Teams' localTimezone).
    said = reflect(running, "every monday 09:00")
    assert "every Monday at 09:00" in said and "Europe/Berlin" in said
    said = reflect(running, "status")
    assert "Schedule: every Monday at 09:00 (Europe/Berlin)" in said
    assert "Questions: 9 (the standard" in said
    # Only the person who set them up changes the channel's reflections.
    assert "Only the person who set up" in reflect(running, "pick 3", BEN)
    assert "asks 3 of the channel's 9 questions" in reflect(running, "pick 3")
    assert "Each round asks 3 of them" in reflect(running, "status")
    assert "are off" in reflect(running, "off")
    assert "no scheduled reflection rounds" in reflect(running, "off")
    assert "No schedule." in reflect(running, "status")

    # `questions`: a card whose button opens the dialog; the dialog saves the channel's own.
    status, _ = send(mention_message(double, "reflect questions", **who(ANA)))
    assert status == 202
    button = double.wait_for(
        lambda: [c for c in double.posts(CHANNEL) if "Edit questions" in c.card_text]
    )[0]
    data = button.card["actions"][0]["data"]
    assert data["verb"] == "reflection_questions"
    status, body = send(task(double, "task/fetch", data, **who(BEN)))
    assert body["task"]["type"] == "message" and "Only the person" in body["task"]["value"]
    status, body = send(task(double, "task/fetch", data, **who(ANA)))
    assert body["task"]["value"]["title"] == "Reflection questions"
    assert inputs(body)[0]["value"] == "\n".join(STANDARD_QUESTIONS)
    submit = {"verb": "reflection_questions", "questions": " ", "reset": "false"}
    status, body = send(task(double, "task/submit", submit, **who(ANA)))
    assert body["task"]["type"] == "continue"
    assert "at least one question" in str(body["task"]["value"]["card"])
    submit["questions"] = "1. What surprised us?\n2. What do we stop doing?"
    status, body = send(task(double, "task/submit", submit, **who(ANA)))
    assert body["task"] == {
        "type": "message",
        "value": ("Saved 2 reflection questions for this channel; the next round asks them."),
    }
    assert "Questions: 2 (own" in reflect(running, "status")

    # `now for 1d`: a round with the channel's questions and an Answer button.
    reflect_now = mention_message(double, "reflect now for 1d", **who(ANA))
    assert send(reflect_now)[0] == 202
    [card] = double.wait_for(lambda: round_cards(double))
    assert "What surprised us?" in card.card_text and STANDARD_QUESTIONS[0] not in card.card_text
    assert [a["title"] for a in card.card["actions"]] == ["Answer"]
    [made] = rounds(running)
    assert made.message_ts == card.answered_id
    assert (made.closes_at - made.created_at).total_seconds() == 24 * 3600
    said = reflect(running, "status")
    assert "Last round (open" in said and "0 answers from 0 people" in said

    # A round the channel refuses is discarded and its asker told.
    double.fail("POST", f"/v3/conversations/{CHANNEL}/activities", 403)
    assert "could not post the reflection round" in reflect(running, "now")
    assert len(rounds(running)) == 1


def test_scheduled_round_dialog_and_thread_answers_one_digest(running: TeamsBotRunning) -> None:
    double, send = running.double, running.send
    with freeze_time("2026-12-06 12:00:00", tick=True) as clock:  # a Sunday
        reflect(running, "every monday 09:00")
        # Monday 09:00 in Berlin is 08:00 UTC in December.
        clock.move_to("2026-12-07 07:59:00")
        running.core.timers.run_due()
        assert round_cards(double) == []
        clock.move_to("2026-12-07 08:00:00")
        running.core.timers.run_due()
        running.core.timers.run_due()
        [card] = round_cards(double)
        for question in STANDARD_QUESTIONS:
            assert question in card.card_text
        root = card.answered_id
        assert root is not None
        data = card.card["actions"][0]["data"]
        assert data["verb"] == "reflection_answer" and data["msteams"]["type"] == "task/fetch"

        # Ben answers in the dialog: nine optional fields.
        status, body = send(task(double, "task/fetch", data, **who(BEN)))
        assert status == 200 and body["task"]["value"]["title"] == "Reflection"
        fields = inputs(body)
        assert len(fields) == 9 and all(f["value"] == "" for f in fields)
        submit = {"verb": "reflection_answer", "round": data["round"]}
        submit |= {"q0": "We shipped too early", "q1": ""}
        status, body = send(task(double, "task/submit", submit, **who(BEN)))
        assert body["task"]["type"] == "message"
        assert "Saved your answers to 1 of 9 questions" in body["task"]["value"]
        # Reopened, the dialog is prefilled with his answer.
        status, body = send(task(double, "task/fetch", data, **who(BEN)))
        assert inputs(body)[0]["value"] == "We shipped too early"

        # Cy replies in the round's thread, then edits the reply; Dan replies and deletes it.
        reply = thread_reply(double, root, "<p>6. Nobody owns the data</p>", **who(CY))
        assert send(reply)[0] == 202
        edited = thread_reply(
            double, root, "6. Nobody owns the pipeline", kind="messageUpdate", **who(CY)
        )
        edited["id"] = reply["id"]
        assert send(edited)[0] == 202
        dans = thread_reply(double, root, "Too many meetings", **who(DAN))
        assert send(dans)[0] == 202
        assert len(answers(running)) == 3
        gone = thread_reply(double, root, "", kind="messageDelete", **who(DAN))
        gone["id"] = dans["id"]
        assert send(gone)[0] == 202
        # Messages outside a round's thread are not answers: a new channel post (its own
        # thread), a reply in another thread, a post in the personal chat.
        post = activity(double, "message", text="Lunch?", **who(DAN))
        post["conversation"]["id"] = f"{CHANNEL};messageid={post['id']}"
        assert send(post)[0] == 202
        assert send(thread_reply(double, "not-a-round", "2. Hiring", **who(DAN)))[0] == 202
        chat = activity(
            double, "message", text="hello", conversation="a:chat-x", conversation_type="personal"
        )
        assert send(chat)[0] == 202
        kept = {a.user_id: a for a in answers(running)}
        assert set(kept) == {BEN, CY}
        assert (kept[BEN].question_index, kept[BEN].source) == (0, "modal")
        assert (kept[CY].question_index, kept[CY].text) == (5, "Nobody owns the pipeline")
        assert kept[CY].source == "thread" and kept[CY].message_ts == reply["id"]

        # The round closes after two days and posts one digest in its thread.
        clock.move_to("2026-12-09 07:59:00")
        running.core.timers.run_due()
        assert [c for c in double.posts(CHANNEL) if c.activity_id == root] == []
        clock.move_to("2026-12-09 08:00:30")
        running.core.timers.run_due()
        running.core.timers.run_due()
        running.wait_idle()
        digests = [c for c in double.posts(CHANNEL) if c.activity_id == root]
        assert len(digests) == 1
        digest = digests[0].card_text
        assert "Reflection digest" in digest
        assert "2 of 3 channel members answered." in digest
        assert "<at>Ben</at>: We shipped too early" in digest
        assert "<at>Cy</at>: Nobody owns the pipeline" in digest
        assert "Too many meetings" not in digest
        assert digests[0].card["msteams"]["entities"][0]["mentioned"]["id"] in (BEN, CY)
        closed = rounds(running)[0]
        assert closed.state == "closed" and closed.member_count == 3
        # The card loses its Answer button.
        update = double.wait_for(lambda: double.updates(root))[-1]
        assert "(closed)" in update.card_text and "actions" not in update.card

        # Closed: the dialog says so, and a late thread reply is not kept.
        status, body = send(task(double, "task/fetch", data, **who(DAN)))
        assert body["task"] == {
            "type": "message",
            "value": "This reflection round has closed; answers are no longer taken.",
        }
        assert send(thread_reply(double, root, "late", **who(DAN)))[0] == 202
        assert len(answers(running)) == 2
        running.core.timers.run_due()
        assert len([c for c in double.posts(CHANNEL) if c.activity_id == root]) == 1


def test_the_digest_card_keeps_long_answers_whole_and_never_mentions_from_text() -> None:
    long_answer = "We learned. " * 250  # 3,000 characters: one block would cut it
    digest = RoundDigest(
        round_id=1,
        place=CHANNEL,
        questions=(
            ("What did we learn?", (DigestAnswer(BEN, 0, long_answer, "thread"),)),
            ("What is hard?", (DigestAnswer(CY, 1, "<at>Ana</at> *x*", "modal"),)),
        ),
        free_replies=(),
        participation=Participation(authors=2, member_count=3, answered_members=2),
    )
    part = DigestPart(digest, 1, 1)
    texts = [b["text"] for b in render(part)["body"]]
    assert f"- <at>{BEN}</at>: {long_answer.strip()}" in [t.strip() for t in texts]
    assert f"- <at>{CY}</at>: ‹at›Ana‹/at› \\*x\\*" in texts
    assert "2 of 3 channel members answered." in texts


def test_a_scheduled_round_teams_refuses_tells_its_scheduler_once(
    running: TeamsBotRunning,
) -> None:
    double = running.double
    with freeze_time("2026-12-06 12:00:00", tick=True) as clock:
        reflect(running, "every monday 09:00")
        told_before = len(double.posts(double.chat_of(ANA)))
        double.fail("POST", f"/v3/conversations/{CHANNEL}/activities", 403, times=2)
        clock.move_to("2026-12-07 08:00:00")
        running.core.timers.run_due()
        notes = double.posts(double.chat_of(ANA))[told_before:]
        assert len(notes) == 1
        assert "could not post the scheduled reflection round" in notes[0].card_text
        assert "reflect off there stops the schedule" in notes[0].card_text
        # The retry is refused too: not told again; the next retry posts the round once.
        clock.move_to("2026-12-07 09:00:00")
        running.core.timers.run_due()
        assert len(double.posts(double.chat_of(ANA))) == told_before + 1
        clock.move_to("2026-12-07 12:00:00")
        running.core.timers.run_due()
        assert len(round_cards(double)) == 1
        assert rounds(running)[0].message_ts == round_cards(double)[0].answered_id


def test_a_long_digest_takes_as_many_cards_as_teams_needs_each_inside_its_size(
    running: TeamsBotRunning,
) -> None:
    double, send = running.double, running.send
    with freeze_time("2026-12-07 10:00:00", tick=True) as clock:
        assert send(mention_message(double, "reflect now for 1d", **who(ANA)))[0] == 202
        [card] = double.wait_for(lambda: round_cards(double))
        root = str(card.answered_id)
        for person in (ANA, BEN, CY):
            for i in range(len(STANDARD_QUESTIONS)):
                text = f"{i + 1}. {NAMES[person]} on {i}: " + "lesson " * 400
                assert send(thread_reply(double, root, text, **who(person)))[0] == 202
        running.wait_idle()
        assert len(answers(running)) == 3 * len(STANDARD_QUESTIONS)

        clock.move_to("2026-12-08 10:00:30")
        running.core.timers.run_due()
        running.wait_idle()
        digests = [c for c in double.posts(CHANNEL) if c.activity_id == root]
        assert len(digests) >= 3
        for index, posted in enumerate(digests, start=1):
            assert len(json.dumps(posted.body).encode()) < 28_000
            assert f"Reflection digest ({index} of {len(digests)})" in posted.card_text
        shown = "".join(c.card_text for c in digests)
        # Nothing is cut: every answer is shown whole, once.
        assert shown.count("lesson") == 3 * len(STANDARD_QUESTIONS) * 400
        assert all(f"{NAMES[p]} on {i}:" in shown for p in (ANA, BEN, CY) for i in range(9))
