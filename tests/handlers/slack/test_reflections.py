"""Reflection rounds end to end: signed requests in, the Slack double's record out."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from freezegun import freeze_time
from sqlmodel import select

from bot.reflections import STANDARD_QUESTIONS
from storage.db import session_scope
from storage.decisions import insert_decision
from storage.models import Decision, ReflectionAnswer, ReflectionRound, ReflectionSchedule
from tests.conftest import TEAM, RunningBot
from tests.slack_double import Call

CHANNEL = "C0GENERAL"
OTHER_TEAM = "T0OTHER"


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _wait(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the bot"
        time.sleep(0.01)


def _answers(bot: RunningBot) -> list[ReflectionAnswer]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(ReflectionAnswer).order_by(ReflectionAnswer.id)))


def _rounds(bot: RunningBot) -> list[ReflectionRound]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(ReflectionRound).order_by(ReflectionRound.id)))


def _round_posts(bot: RunningBot) -> list[Call]:
    return [
        c
        for c in bot.slack.calls("chat.postMessage")
        if "Reflection round" in str(c.params.get("text"))
        and not c.params.get("thread_ts")
        and c.error is None
    ]


def _answer_button(call: Call) -> dict[str, Any]:
    for block in _json(call.params["blocks"]):
        for element in block.get("elements", []):
            if element.get("action_id") == "reflection_answer":
                return element
    raise AssertionError("the round has no Answer button")


def _all_text(call: Call) -> str:
    blocks = _json(call.params["blocks"]) if "blocks" in call.params else []
    texts = [call.params.get("text", "")]
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            texts.append(str(element.get("text", "")))
    return "\n".join(texts)


def _modal_values(answers: dict[int, str]) -> dict[str, Any]:
    return {
        f"q{i}": {"answer": {"type": "plain_text_input", "value": text}}
        for i, text in answers.items()
    }


def _respond(bot: RunningBot, text: str, **kwargs: Any) -> str:
    """Send `/reflect text` and return the private reply (ack body or response_url post)."""
    name = f"reflect-{uuid.uuid4().hex[:12]}"
    reply = bot.client.command(
        "/reflect", text, response_url=bot.slack.response_url(name), **kwargs
    )
    assert reply.status == 200
    body = reply.json()
    if body and body.get("text"):
        assert body["response_type"] == "ephemeral"
        return str(body["text"])
    [told] = bot.slack.wait_for("response_url", predicate=lambda c: c.params["_id"] == name)
    assert told.params.get("response_type") == "ephemeral"
    return str(told.params["text"])


def test_scheduled_round_collects_modal_and_thread_answers_and_posts_one_digest(
    bot: RunningBot,
) -> None:
    bot.slack.channel_members[CHANNEL] = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ROBOT"]
    bot.slack.users["U0ROBOT"] = {"is_bot": True}
    with freeze_time("2026-12-06 12:00:00", tick=True) as clock:  # a Sunday
        with session_scope(bot.core.engine) as session:
            decision = insert_decision(
                session=session,
                team_id=TEAM,
                decision=Decision(
                    team_id=TEAM,
                    number=0,
                    owner_id="U0ALICE",
                    proposed_by="U0ALICE",
                    proposal="Ship the beta",
                    review_on=datetime(2027, 1, 1, tzinfo=UTC),
                    created_at=datetime.now(UTC),
                ),
            )
            number, decision_id = decision.number, decision.id

        confirmation = _respond(bot, "every monday 09:00")
        assert "every Monday at 09:00" in confirmation
        assert "Europe/Berlin" in confirmation  # the scheduler's time zone (users.info)

        # Monday 09:00 in Berlin is 08:00 UTC in December.
        clock.move_to("2026-12-07 07:59:00")
        bot.run_timers()
        assert _round_posts(bot) == []
        clock.move_to("2026-12-07 08:00:00")
        bot.run_timers()
        bot.run_timers()
        posts = _round_posts(bot)
        assert len(posts) == 1
        round_post = posts[0]
        assert round_post.params["channel"] == CHANNEL
        round_text = _all_text(round_post)
        for question in STANDARD_QUESTIONS:
            assert question in round_text
        assert "posted late" not in round_text
        rounds = _rounds(bot)
        assert len(rounds) == 1 and rounds[0].message_ts is not None
        round_ts = rounds[0].message_ts
        round_id = _answer_button(round_post)["value"]

        # Two people answer in the modal; Alice names the decision and tries to ping everyone.
        reply = bot.client.block_action(
            "reflection_answer", round_id, user_id="U0ALICE", trigger_id="trig-answer-1"
        )
        assert reply.status == 200
        opened = bot.slack.wait_for(
            "views.open", predicate=lambda c: c.params.get("trigger_id") == "trig-answer-1"
        )[0]
        modal = _json(opened.params["view"])
        assert modal["callback_id"] == "reflection_answers"
        assert len([b for b in modal["blocks"] if b["type"] == "input"]) == 9
        reply = bot.client.view_submission(
            "reflection_answers",
            _modal_values({0: f"We shipped D-{number} too early <!channel> & learned"}),
            private_metadata=round_id,
            user_id="U0ALICE",
        )
        assert reply.status == 200
        reply = bot.client.view_submission(
            "reflection_answers",
            _modal_values({1: "Customer interviews per week", 2: ""}),
            private_metadata=round_id,
            user_id="U0BOB",
        )
        assert reply.status == 200
        # Carol replies in the thread, naming question 6.
        bot.client.message(CHANNEL, "6. Nobody owns the data", user="U0CAROL", thread_ts=round_ts)
        _wait(lambda: len(_answers(bot)) == 3)

        # Editing is possible until the round closes: the modal opens prefilled.
        bot.client.block_action(
            "reflection_answer", round_id, user_id="U0ALICE", trigger_id="trig-answer-2"
        )
        reopened = bot.slack.wait_for(
            "views.open", predicate=lambda c: c.params.get("trigger_id") == "trig-answer-2"
        )[0]
        first = _json(reopened.params["view"])["blocks"][1]
        assert first["element"]["initial_value"].startswith(f"We shipped D-{number}")

        answers = {a.user_id: a for a in _answers(bot)}
        assert answers["U0ALICE"].question_index == 0
        assert answers["U0ALICE"].decision_id == decision_id
        assert answers["U0BOB"].question_index == 1
        assert answers["U0CAROL"].question_index == 5
        assert answers["U0CAROL"].source == "thread"

        # The round closes after two days (durable timer) and posts its digest once.
        clock.move_to("2026-12-09 07:59:00")
        bot.run_timers()
        assert not [c for c in bot.slack.calls("chat.postMessage") if c.params.get("thread_ts")]
        clock.move_to("2026-12-09 08:00:30")
        bot.run_timers()
        bot.run_timers()
        digests = [
            c for c in bot.slack.calls("chat.postMessage") if c.params.get("thread_ts") == round_ts
        ]
        assert len(digests) == 1
        digest = _all_text(digests[0])
        assert "3 of 4 channel members answered" in digest
        blocks = _json(digests[0].params["blocks"])
        sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        q1 = next(s for s in sections if STANDARD_QUESTIONS[0] in s)
        assert "<@U0ALICE>" in q1 and f"linked to D-{number}" in q1
        assert "&lt;!channel&gt; &amp; learned" in q1 and "<!channel>" not in digest
        q2 = next(s for s in sections if STANDARD_QUESTIONS[1] in s)
        assert "<@U0BOB>: Customer interviews per week" in q2
        q6 = next(s for s in sections if STANDARD_QUESTIONS[5] in s)
        assert "<@U0CAROL>: Nobody owns the data" in q6
        q3 = next(s for s in sections if STANDARD_QUESTIONS[2][:30] in s)
        assert "No answers" in q3

        closed = _rounds(bot)[0]
        assert closed.state == "closed" and closed.digest_ts is not None
        assert closed.member_count == 4
        # The round's message loses its Answer button.
        bot.slack.wait_for(
            "chat.update",
            predicate=lambda c: (
                c.params["ts"] == round_ts
                and "reflection_answer" not in json.dumps(c.params.get("blocks"))
            ),
        )

        # After close, answers are refused and thread replies are not kept.
        reply = bot.client.view_submission(
            "reflection_answers",
            _modal_values({0: "too late"}),
            private_metadata=round_id,
            user_id="U0DAVE",
        )
        assert reply.json()["response_action"] == "errors"
        bot.client.message(CHANNEL, "late reply", user="U0DAVE", thread_ts=round_ts)
        assert len(_answers(bot)) == 3

        # The next Monday's round is already scheduled.
        with session_scope(bot.core.engine) as session:
            schedule = session.exec(select(ReflectionSchedule)).one()
        assert schedule.next_at == datetime(2026, 12, 14, 8, 0, tzinfo=UTC)


def test_round_due_while_down_is_posted_once_and_marked_late(bot: RunningBot) -> None:
    with freeze_time("2026-12-06 12:00:00", tick=True) as clock:
        _respond(bot, "every monday 09:00")
        bot.stop()
        # Down for more than three weeks: three Mondays pass.
        clock.move_to("2026-12-29 10:00:00")
        bot.start()
        bot.run_timers()
        bot.run_timers()
        posts = _round_posts(bot)
        assert len(posts) == 1
        assert "posted late" in _all_text(posts[0])
        rounds = _rounds(bot)
        assert len(rounds) == 1 and rounds[0].late
        assert rounds[0].scheduled_for == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
        with session_scope(bot.core.engine) as session:
            schedule = session.exec(select(ReflectionSchedule)).one()
        assert schedule.next_at == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # no catch-up rounds

        # A round on time is not marked late.
        clock.move_to("2027-01-04 08:00:30")
        bot.run_timers()
        posts = _round_posts(bot)
        assert len(posts) == 2
        assert "posted late" not in _all_text(posts[1])


def test_restart_keeps_the_round_open_and_closes_it_once(bot: RunningBot) -> None:
    with freeze_time("2026-12-07 10:00:00", tick=True) as clock:
        reply = bot.client.command("/reflect", "now for 1d")
        assert reply.status == 200
        post = bot.slack.wait_for("chat.postMessage")[0]
        round_id = _answer_button(post)["value"]
        _wait(lambda: bool(_rounds(bot)) and _rounds(bot)[0].message_ts is not None)
        bot.client.view_submission(
            "reflection_answers",
            _modal_values({3: "It costs too much"}),
            private_metadata=round_id,
            user_id="U0BOB",
        )
        bot.restart()
        clock.move_to("2026-12-08 10:00:01")
        bot.run_timers()
        bot.restart()
        bot.run_timers()
        digests = [c for c in bot.slack.calls("chat.postMessage") if c.params.get("thread_ts")]
        assert len(digests) == 1
        assert "It costs too much" in _all_text(digests[0])


def test_bad_schedule_gets_a_private_explanation_with_examples(bot: RunningBot) -> None:
    for text in ("every funday 09:00", "every monday 25:00", "monthly 40 10:00", "sometimes"):
        answer = _respond(bot, text)
        assert "/reflect every monday 09:00" in answer, text
        assert "/reflect monthly 1 10:00" in answer, text
    with session_scope(bot.core.engine) as session:
        assert session.exec(select(ReflectionSchedule)).all() == []
    assert bot.slack.calls("chat.postMessage") == []


def test_status_off_and_pick(bot: RunningBot) -> None:
    with freeze_time("2026-12-06 12:00:00", tick=True):
        assert "No schedule" in _respond(bot, "status")
        _respond(bot, "every 2 weeks friday 15:00 for 3d")
        status = _respond(bot, "status")
        assert "every 2 weeks on Friday at 15:00" in status
        assert "Answers are collected for 3d" in status
        assert "Each round asks 3 of the channel's 9 questions" in _respond(bot, "pick 3")
        assert "pick` takes a number" in _respond(bot, "pick many")

        bot.client.command("/reflect", "now")
        first = bot.slack.wait_for("chat.postMessage")[0]
        _wait(lambda: bool(_rounds(bot)) and _rounds(bot)[-1].message_ts is not None)
        bot.client.command("/reflect", "now")
        second = bot.slack.wait_for("chat.postMessage", 2)[1]
        first_qs = json.loads(_rounds(bot)[0].questions)
        assert first_qs == list(STANDARD_QUESTIONS[:3])
        _wait(lambda: len(_rounds(bot)) == 2)
        assert json.loads(_rounds(bot)[1].questions) == list(STANDARD_QUESTIONS[3:6])
        assert first.params["channel"] == second.params["channel"] == CHANNEL

        status = _respond(bot, "status")
        assert "Each round asks 3 of them" in status
        assert "0 answers" in status
        assert "are off" in _respond(bot, "off")
        assert "No schedule" in _respond(bot, "status")
        assert "no scheduled" in _respond(bot, "off")


def test_questions_modal_edits_reorders_adds_and_resets(bot: RunningBot) -> None:
    with freeze_time("2026-12-06 12:00:00", tick=True):
        bot.client.command("/reflect", "questions", trigger_id="T-q")
        view = _json(bot.slack.wait_for("views.open")[0].params["view"])
        assert view["callback_id"] == "reflection_questions"
        initial = view["blocks"][1]["element"]["initial_value"].splitlines()
        assert initial == list(STANDARD_QUESTIONS)

        edited = "\n".join(["2. What are the key inputs?", "Who is <!here> our customer?", ""])
        reply = bot.client.view_submission(
            "reflection_questions",
            {"questions": {"questions_text": {"type": "plain_text_input", "value": edited}}},
            private_metadata=CHANNEL,
        )
        assert reply.status == 200 and not reply.body
        bot.slack.wait_for("chat.postEphemeral")
        bot.client.command("/reflect", "now")
        post = bot.slack.wait_for("chat.postMessage")[0]
        text = _all_text(post)
        assert "What are the key inputs?" in text
        assert "Who is &lt;!here&gt; our customer?" in text and "<!here>" not in text
        assert STANDARD_QUESTIONS[0] not in text

        empty = bot.client.view_submission(
            "reflection_questions",
            {"questions": {"questions_text": {"type": "plain_text_input", "value": "  "}}},
            private_metadata=CHANNEL,
        )
        assert empty.json()["response_action"] == "errors"

        reset = bot.client.view_submission(
            "reflection_questions",
            {
                "reset": {
                    "reset_choice": {"type": "checkboxes", "selected_options": [{"value": "reset"}]}
                }
            },
            private_metadata=CHANNEL,
        )
        assert reset.status == 200
        bot.slack.wait_for("chat.postEphemeral", 2)
        assert "Questions: 9 (the standard" in _respond(bot, "status")


def test_workspaces_see_only_their_own_rounds(bot: RunningBot) -> None:
    with freeze_time("2026-12-07 10:00:00", tick=True):
        bot.client.command("/reflect", "now")
        post = bot.slack.wait_for("chat.postMessage")[0]
        round_id = _answer_button(post)["value"]
        _wait(lambda: bool(_rounds(bot)) and _rounds(bot)[0].message_ts is not None)
        round_ts = _rounds(bot)[0].message_ts

        # Another workspace presses a button carrying this round's id: no modal.
        bot.client.block_action("reflection_answer", round_id, team_id=OTHER_TEAM)
        bot.slack.wait_for("chat.postEphemeral")
        assert bot.slack.calls("views.open") == []
        reply = bot.client.view_submission(
            "reflection_answers",
            _modal_values({0: "sneaky"}),
            private_metadata=round_id,
            team_id=OTHER_TEAM,
        )
        assert reply.json()["response_action"] == "errors"
        # A thread reply with the same channel and ts in the other workspace is not an answer.
        bot.client.message(
            CHANNEL, "1. sneaky", user="U0EVE", thread_ts=round_ts, team_id=OTHER_TEAM
        )
        bot.client.message(CHANNEL, "1. mine", user="U0BOB", thread_ts=round_ts)
        _wait(lambda: len(_answers(bot)) >= 1)
        bot.wait_idle()
        assert [a.text for a in _answers(bot)] == ["mine"]
        assert "No round yet" in _respond(bot, "status", team_id=OTHER_TEAM)


def test_round_that_cannot_be_posted_is_discarded_with_a_private_note(bot: RunningBot) -> None:
    bot.slack.fail_next("chat.postMessage", error="not_in_channel")
    answer = _respond(bot, "now")
    assert "Invite me" in answer
    assert _rounds(bot) == []
    assert "No round yet" in _respond(bot, "status")


def test_scheduled_round_not_postable_tells_the_scheduler_and_is_retried(
    bot: RunningBot,
) -> None:
    with freeze_time("2026-12-06 12:00:00", tick=True) as clock:
        _respond(bot, "every monday 09:00")
        bot.slack.fail_next("chat.postMessage", error="not_in_channel")
        clock.move_to("2026-12-07 08:00:00")
        bot.run_timers()
        dm = bot.slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params["channel"] == "DU0ALICE"
        )
        assert "could not post" in dm[0].params["text"]
        assert _round_posts(bot) == []
        clock.move_to("2026-12-07 08:01:00")  # the retry, after its back-off
        bot.run_timers()
        assert len(_round_posts(bot)) == 1
        assert len(_rounds(bot)) == 1 and _rounds(bot)[0].message_ts is not None
        assert (
            len(
                [
                    c
                    for c in bot.slack.calls("chat.postMessage")
                    if c.params["channel"] == "DU0ALICE"
                ]
            )
            == 1
        )


def test_what_the_person_typed_is_quoted_escaped(bot: RunningBot) -> None:
    answer = _respond(bot, "now for <!channel>")
    assert "`&lt;!channel&gt;` is not a duration" in answer and "<!channel>" not in answer
    answer = _respond(bot, "every <!here> 09:00")
    assert "`&lt;!here&gt;` is not a weekday" in answer and "<!here>" not in answer
    assert _rounds(bot) == []
