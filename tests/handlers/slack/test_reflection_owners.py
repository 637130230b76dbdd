"""Who may change a channel's reflection settings: the person who set them up, or an admin."""

from __future__ import annotations

import json

from freezegun import freeze_time
from sqlmodel import select

from storage.db import session_scope
from storage.models import ReflectionQuestionSet, ReflectionSchedule
from tests.conftest import RunningBot
from tests.handlers.slack.test_reflections import CHANNEL, _respond

NOT_YOURS = "Only the person who set up this channel's reflections"


def _schedule(bot: RunningBot) -> ReflectionSchedule | None:
    with session_scope(bot.core.engine) as session:
        return session.exec(select(ReflectionSchedule)).first()


def _question_sets(bot: RunningBot) -> list[ReflectionQuestionSet]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(ReflectionQuestionSet)))


def _questions_form(text: str) -> dict[str, object]:
    return {"questions": {"questions_text": {"type": "plain_text_input", "value": text}}}


def test_only_the_creator_or_an_admin_changes_a_channels_schedule(bot: RunningBot) -> None:
    bot.slack.users["U0ADMIN"] = {"is_admin": True}
    with freeze_time("2026-12-06 12:00:00", tick=True):
        assert "every Monday at 09:00" in _respond(bot, "every monday 09:00")
        before = _schedule(bot)
        assert before is not None and before.created_by == "U0ALICE"

        for text in ("every friday 15:00", "off", "pick 1", "monthly 1 10:00"):
            answer = _respond(bot, text, user_id="U0MALLORY")
            assert NOT_YOURS in answer, text
        after = _schedule(bot)
        assert after is not None
        assert (after.rule, after.active, after.pick, after.next_at) == (
            before.rule,
            True,
            None,
            before.next_at,
        )

        # The creator changes it; so does a workspace admin, and the creator stays the owner.
        assert "Each round asks 3" in _respond(bot, "pick 3")
        assert "are off" in _respond(bot, "off", user_id="U0ADMIN")
        assert "every Friday at 15:00" in _respond(bot, "every friday 15:00", user_id="U0ADMIN")
        final = _schedule(bot)
        assert final is not None and final.active and final.created_by == "U0ALICE"


def test_someone_else_cannot_overwrite_or_reset_a_channels_questions(bot: RunningBot) -> None:
    with freeze_time("2026-12-06 12:00:00", tick=True):
        reply = bot.client.view_submission(
            "reflection_questions", _questions_form("Ours?"), private_metadata=CHANNEL
        )
        assert reply.status == 200 and not reply.body
        bot.slack.wait_for("chat.postEphemeral")

        reply = bot.client.view_submission(
            "reflection_questions",
            _questions_form("Mine now?"),
            private_metadata=CHANNEL,
            user_id="U0MALLORY",
        )
        # Membership and admin standing are Slack calls: asked after the form closes, and the
        # refusal is told privately.
        assert reply.status == 200 and not reply.body
        bot.slack.wait_for(
            "chat.postEphemeral",
            predicate=lambda c: (
                c.params.get("user") == "U0MALLORY" and NOT_YOURS in str(c.params.get("text"))
            ),
        )
        reset = bot.client.view_submission(
            "reflection_questions",
            {
                "reset": {
                    "reset_choice": {"type": "checkboxes", "selected_options": [{"value": "reset"}]}
                }
            },
            private_metadata=CHANNEL,
            user_id="U0MALLORY",
        )
        assert reset.status == 200 and not reset.body
        bot.slack.wait_for(
            "chat.postEphemeral",
            predicate=lambda c: (
                c.params.get("user") == "U0MALLORY" and NOT_YOURS in str(c.params.get("text"))
            ),
            count=2,
        )
        sets = _question_sets(bot)
        assert [json.loads(s.questions) for s in sets] == [["Ours?"]]
        assert "Questions: 1" in _respond(bot, "status")
        # The form is not even opened for them.
        assert NOT_YOURS in _respond(bot, "questions", user_id="U0MALLORY")
        assert bot.slack.calls("views.open") == []


def test_tampered_form_cannot_write_a_private_channels_questions(bot: RunningBot) -> None:
    bot.slack.private_channels.add("C0SECRET")
    bot.slack.channel_members["C0SECRET"] = ["U0ALICE", "U0BOB"]
    with freeze_time("2026-12-06 12:00:00", tick=True):
        reply = bot.client.view_submission(
            "reflection_questions",
            _questions_form("Leaked?"),
            private_metadata="C0SECRET",
            user_id="U0MALLORY",
        )
        assert reply.status == 200 and not reply.body
        # Told in a direct message: nothing is said in the private channel.
        bot.slack.wait_for(
            "chat.postMessage",
            predicate=lambda c: (
                c.params.get("channel") == "U0MALLORY" and ":warning:" in str(c.params.get("text"))
            ),
        )
        assert _question_sets(bot) == []
        assert _schedule(bot) is None
        assert bot.slack.calls("chat.postEphemeral") == []
        # A member of the private channel may set them (and becomes their owner).
        reply = bot.client.view_submission(
            "reflection_questions",
            _questions_form("Ours?"),
            private_metadata="C0SECRET",
            user_id="U0BOB",
        )
        assert reply.status == 200 and not reply.body
        bot.slack.wait_for(
            "chat.postEphemeral",
            predicate=lambda c: c.params.get("user") == "U0BOB" and "Saved" in c.params["text"],
        )
        assert [json.loads(s.questions) for s in _question_sets(bot)] == [["Ours?"]]
