"""Reflection Block Kit builders, checked without Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.reflections import MAX_QUESTIONS, STANDARD_QUESTIONS
from bot.views.reflections import (
    AnswerField,
    AnswersForm,
    DigestAnswer,
    DigestPart,
    Participation,
    QuestionsForm,
    RoundCard,
    RoundDigest,
    answer_field,
)
from handlers.slack.blocks.reflections import bad_schedule_text, digest_parts
from handlers.slack.platform import render

CLOSES = datetime(2026, 12, 9, 8, tzinfo=UTC)


def _round(questions: tuple[str, ...] = STANDARD_QUESTIONS, late: bool = False) -> RoundCard:
    return RoundCard(
        round_id=7,
        questions=questions,
        closes_at=CLOSES,
        late=late,
        scheduled_for=datetime(2026, 12, 7, 8, tzinfo=UTC),
    )


def build_round_message(card: RoundCard) -> dict[str, Any]:
    return render(card)


def build_answer_modal(card: RoundCard, existing: dict[int, str]) -> dict[str, Any]:
    fields = tuple(
        AnswerField(answer_field(i), i, q, existing.get(i, ""))
        for i, q in enumerate(card.questions)
    )
    return render(AnswersForm(card.round_id, card.closes_at, fields))


def build_questions_modal(place: str, questions: list[str], custom: bool) -> dict[str, Any]:
    return render(QuestionsForm(place, tuple(questions), custom))


def build_digest_messages(digest: RoundDigest) -> list[dict[str, Any]]:
    count = digest_parts(digest)
    return [render(DigestPart(digest, i, count)) for i in range(1, count + 1)]


def test_round_message_escapes_questions_and_has_an_answer_button() -> None:
    message = build_round_message(_round(("Who is <!channel> & why?",)))
    dumped = json.dumps(message)
    assert "<!channel>" not in dumped
    assert "Who is &lt;!channel&gt; &amp; why?" in dumped
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("reflection_answer", "7")]
    assert "<!date^" in dumped  # the closing time, in each reader's time zone
    assert "posted late" not in dumped
    assert "posted late" in json.dumps(build_round_message(_round(late=True)))


def test_round_message_and_modal_stay_within_slack_limits() -> None:
    questions = tuple(f"Question {i}? " + "x" * 480 for i in range(MAX_QUESTIONS))
    assert len(build_round_message(_round(questions))["blocks"]) <= 50
    modal = build_answer_modal(_round(questions), {})
    assert len(modal["blocks"]) <= 100
    assert all(len(b["label"]["text"]) <= 2000 for b in modal["blocks"] if b["type"] == "input")


def test_answer_modal_has_an_optional_field_per_question_prefilled() -> None:
    modal = build_answer_modal(_round(), {2: "my earlier answer"})
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert len(inputs) == 9 and all(b["optional"] for b in inputs)
    assert [b["block_id"] for b in inputs[:3]] == ["q0", "q1", "q2"]
    assert inputs[2]["element"]["initial_value"] == "my earlier answer"
    assert "initial_value" not in inputs[0]["element"]
    assert modal["private_metadata"] == "7"
    assert len(modal["title"]["text"]) <= 24


def test_questions_modal_lists_the_questions_one_per_line() -> None:
    modal = build_questions_modal("C1", list(STANDARD_QUESTIONS), custom=False)
    text = modal["blocks"][1]["element"]["initial_value"]
    assert text.splitlines() == list(STANDARD_QUESTIONS)
    assert modal["private_metadata"] == "C1"
    assert len(modal["title"]["text"]) <= 24


def _digest(answers: list[DigestAnswer], members: int | None = 8) -> RoundDigest:
    round_ = _round(("First?", "Second?"))
    authors = len({a.person for a in answers})
    return RoundDigest(
        round_id=round_.round_id,
        place="C1",
        questions=tuple(
            (q, tuple(a for a in answers if a.question_index == i))
            for i, q in enumerate(round_.questions)
        ),
        free_replies=tuple(a for a in answers if a.question_index is None),
        participation=Participation(
            authors=authors,
            member_count=members,
            answered_members=authors if members is not None else None,
        ),
    )


def test_digest_lists_answers_under_their_questions_with_authors_and_links() -> None:
    answers = [
        DigestAnswer("U1", 0, "We <b>rushed</b> D-3", "modal", 3, "https://x.slack.com/p1"),
        DigestAnswer("U2", None, "a free thought", "thread"),
    ]
    (message,) = build_digest_messages(_digest(answers))
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    first = next(s for s in sections if "First?" in s)
    assert "<@U1>: We &lt;b&gt;rushed&lt;/b&gt; D-3" in first
    assert "<https://x.slack.com/p1|D-3>" in first
    second = next(s for s in sections if "Second?" in s)
    assert "No answers" in second
    thread = next(s for s in sections if "From the thread" in s)
    assert "<@U2>: a free thought" in thread
    assert "2 of 8 channel members answered" in json.dumps(message)
    assert "2 people answered" in json.dumps(build_digest_messages(_digest(answers, None)))


def test_a_long_digest_is_split_into_several_messages_and_keeps_every_answer() -> None:
    answers = [
        DigestAnswer(f"U{i}", i % 2, f"answer {i} " + "y" * 900, "modal") for i in range(120)
    ]
    messages = build_digest_messages(_digest(answers, None))
    assert len(messages) >= 2
    for message in messages:
        assert len(message["blocks"]) <= 50
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
    dumped = json.dumps(messages)
    assert all(f"answer {i} " in dumped for i in range(120))


def test_bad_schedule_text_gives_examples() -> None:
    text = bad_schedule_text("`funday` is not a weekday.")
    assert "funday" in text and "/reflect every 2 weeks friday 15:00" in text


def test_bad_schedule_text_escapes_what_the_person_typed() -> None:
    text = bad_schedule_text("`<!channel>` is not a weekday (monday to sunday).")
    assert "<!channel>" not in text
    assert "`&lt;!channel&gt;` is not a weekday" in text
