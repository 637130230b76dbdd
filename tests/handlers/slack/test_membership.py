"""A reading period or reflection round never starts where its thread cannot be heard: Slack
sends message and reaction events only from channels the bot is a member of, while
`chat:write.public` lets it post in any public channel. The bot joins a public channel first,
or refuses with the invite hint."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from storage.db import session_scope
from storage.models import Narrative, Question, ReflectionRound
from tests.conftest import RunningBot
from tests.slack_double import Call

PUBLIC = "C0OUTSIDE"
PRIVATE = "G0OUTSIDE"
OWNER, ANA = "U0ALICE", "U0ANA"


def narratives(bot: RunningBot) -> list[Narrative]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Narrative)))


def questions(bot: RunningBot) -> list[Question]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Question)))


def rounds(bot: RunningBot) -> list[ReflectionRound]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(ReflectionRound)))


def in_channel(channel: str) -> Any:
    return lambda c: c.params.get("channel") == channel


def to_owner(call: Call) -> bool:
    """Ephemeral to the owner, or a direct message to them (by id, or in the DM channel the
    double opens for them)."""
    return call.params.get("user") == OWNER or call.params.get("channel") in (OWNER, f"D{OWNER}")


def test_a_reading_period_in_a_public_channel_joins_it_and_hears_its_questions(
    bot: RunningBot,
) -> None:
    bot.slack.outside_channels.add(PUBLIC)
    bot.client.command("/narrative", "20m Q3 pricing", user_id=OWNER, channel_id=PUBLIC)
    posted = bot.slack.wait_for("chat.postMessage", predicate=in_channel(PUBLIC))[0]
    joins = bot.slack.calls("conversations.join")
    assert [c.params["channel"] for c in joins] == [PUBLIC]
    assert joins[0].at <= posted.at, "joined before the narrative was posted"

    # Slack now sends the thread's messages: a question is collected (and acknowledged).
    assert bot.slack.delivers_events_from(PUBLIC)
    thread = next(m["ts"] for (c, _), m in bot.slack.messages.items() if c == PUBLIC)
    _, question_ts = bot.client.message(PUBLIC, "Why now?", user=ANA, thread_ts=thread)
    bot.slack.wait_for("reactions.add", predicate=lambda c: c.params["timestamp"] == question_ts)
    assert [q.text for q in questions(bot)] == ["Why now?"]


def test_a_private_channel_the_bot_is_not_in_is_refused_with_the_invite_hint(
    bot: RunningBot,
) -> None:
    bot.slack.private_channels.add(PRIVATE)
    bot.slack.outside_channels.add(PRIVATE)
    bot.client.command("/narrative", "20m Q3 pricing", user_id=OWNER, channel_id=PRIVATE)
    told = bot.slack.wait_for(
        "chat.postMessage", predicate=lambda c: to_owner(c) and "Invite me" in c.params["text"]
    )
    assert "/invite @Narrative" in told[0].params["text"]
    assert [(n.state, n.end_reason) for n in narratives(bot)] == [("ended", "not_posted")]
    assert not [c for c in bot.slack.calls("chat.postMessage") if c.params["channel"] == PRIVATE]


def test_without_the_join_scope_no_reading_period_starts_where_it_cannot_hear(
    bot: RunningBot,
) -> None:
    """The app installed from an older manifest (no channels:join): refused with a clear note,
    not a reading period whose questions would all be lost."""
    bot.slack.outside_channels.add(PUBLIC)
    bot.slack.scopes = {"commands", "chat:write", "chat:write.public", "channels:read", "im:write"}
    bot.client.command("/narrative", "20m Q3 pricing", user_id=OWNER, channel_id=PUBLIC)
    told = bot.slack.wait_for(
        "chat.postEphemeral",
        predicate=lambda c: to_owner(c) and "missing_scope" in c.params["text"],
    )
    assert "reinstall" in told[0].params["text"]
    assert not [c for c in bot.slack.calls("chat.postMessage") if c.params["channel"] == PUBLIC]
    assert [(n.state, n.end_reason) for n in narratives(bot)] == [("ended", "not_posted")]


def test_a_reflection_round_in_a_public_channel_joins_it_first(bot: RunningBot) -> None:
    bot.slack.outside_channels.add(PUBLIC)
    reply = bot.client.command(
        "/reflect", "now", user_id=OWNER, channel_id=PUBLIC, response_url=bot.slack.response_url()
    )
    assert reply.status == 200
    posted = bot.slack.wait_for("chat.postMessage", predicate=in_channel(PUBLIC))[0]
    joins = bot.slack.calls("conversations.join")
    assert [c.params["channel"] for c in joins] == [PUBLIC]
    assert joins[0].at <= posted.at
    assert bot.slack.delivers_events_from(PUBLIC)
    assert len(rounds(bot)) == 1


def test_a_reflection_round_in_a_private_channel_the_bot_is_not_in_is_refused(
    bot: RunningBot,
) -> None:
    bot.slack.private_channels.add(PRIVATE)
    bot.slack.outside_channels.add(PRIVATE)
    bot.client.command(
        "/reflect", "now", user_id=OWNER, channel_id=PRIVATE, response_url=bot.slack.response_url()
    )
    told = bot.slack.wait_for("response_url", predicate=lambda c: "Invite me" in c.params["text"])
    assert told[0].params["response_type"] == "ephemeral"
    assert rounds(bot) == []
    assert not [c for c in bot.slack.calls("chat.postMessage") if c.params["channel"] == PRIVATE]
