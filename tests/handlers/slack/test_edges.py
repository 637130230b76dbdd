"""Whatever Slack sends (every subscribed event, retried deliveries, any slash command text) gets
an answer, never a crash, a 404 or a broadcast mention."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from sqlmodel import func, select

from handlers.slack.errors import GENERIC_ERROR
from storage.db import session_scope
from storage.models import ProcessedEvent, Timer
from tests.conftest import RunningBot

MANIFEST = yaml.safe_load((Path(__file__).parents[3] / "manifest.yml").read_text())
BOT_EVENTS: list[str] = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
COMMANDS: list[str] = [c["command"] for c in MANIFEST["features"]["slash_commands"]]

# Message subtypes a channel subscription delivers (https://api.slack.com/events/message).
MESSAGE_SUBTYPES: dict[str | None, dict[str, Any]] = {
    None: {"user": "U0ALICE", "text": "a question?"},
    "thread_broadcast": {"user": "U0ALICE", "text": "also to channel", "thread_ts": "1.000100"},
    "bot_message": {"bot_id": "B0OTHER", "username": "other bot", "text": "beep"},
    "channel_join": {"user": "U0BOB", "text": "<@U0BOB> has joined the channel"},
    "message_changed": {
        "hidden": True,
        "message": {"type": "message", "user": "U0ALICE", "text": "edited", "ts": "1.000200"},
        "previous_message": {"type": "message", "user": "U0ALICE", "text": "orig", "ts": "1.0002"},
    },
    "message_deleted": {
        "hidden": True,
        "deleted_ts": "1.000300",
        "previous_message": {"type": "message", "user": "U0ALICE", "text": "gone", "ts": "1.0003"},
    },
}


def events_for(subscription: str) -> list[dict[str, Any]]:
    """Example events Slack delivers for one `bot_events` entry of the manifest."""
    if subscription.startswith("message."):
        channel = {"message.channels": "C0GENERAL", "message.groups": "G0PRIVATE"}[subscription]
        channel_type = {"message.channels": "channel", "message.groups": "group"}[subscription]
        return [
            {
                "type": "message",
                "channel": channel,
                "channel_type": channel_type,
                "ts": "1700000001.000100",
                "event_ts": "1700000001.000100",
                **({"subtype": subtype} if subtype else {}),
                **fields,
            }
            for subtype, fields in MESSAGE_SUBTYPES.items()
        ]
    if subscription in ("reaction_added", "reaction_removed"):
        return [
            {
                "type": subscription,
                "user": "U0BOB",
                "reaction": "+1",
                "item_user": "U0ALICE",
                "item": {"type": "message", "channel": "C0GENERAL", "ts": "1700000001.000100"},
                "event_ts": "1700000002.000100",
            }
        ]
    if subscription == "app_home_opened":
        return [
            {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": tab}
            for tab in ("home", "messages")
        ]
    raise AssertionError(f"no example for the subscribed event {subscription!r}; add one here")


def test_the_manifest_subscribes_to_what_the_examples_cover() -> None:
    assert "message.channels" in BOT_EVENTS and "app_home_opened" in BOT_EVENTS
    assert {"/narrative", "/decide", "/decisions", "/reflect"} <= set(COMMANDS)


@pytest.mark.parametrize("subscription", BOT_EVENTS)
def test_every_subscribed_event_is_acknowledged(
    bot: RunningBot, subscription: str, caplog: pytest.LogCaptureFixture
) -> None:
    for event in events_for(subscription):
        reply = bot.client.event(event)
        assert reply.status == 200, (subscription, event.get("subtype"), reply.body)
    assert not [r for r in caplog.records if r.name == "narrative.errors"]


def processed_events(bot: RunningBot) -> int:
    with session_scope(bot.core.engine) as session:
        return int(session.exec(select(func.count()).select_from(ProcessedEvent)).one())


def test_a_retried_event_delivery_is_handled_once(bot: RunningBot) -> None:
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"}
    assert bot.client.event(event, event_id="Ev0SAME").status == 200
    for retry in (1, 2):
        reply = bot.client.event(event, event_id="Ev0SAME", retry_num=retry)
        assert reply.status == 200

    # Another event afterwards proves the listeners had time to run for the retries too.
    other = {**event, "user": "U0BOB"}
    assert bot.client.event(other, event_id="Ev0OTHER").status == 200
    bot.slack.wait_for("views.publish", 2)
    published_to = [c.params["user_id"] for c in bot.slack.calls("views.publish")]
    assert sorted(published_to) == ["U0ALICE", "U0BOB"]
    assert processed_events(bot) == 2


def test_the_same_event_id_in_another_workspace_is_not_a_retry(bot: RunningBot) -> None:
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"}
    assert bot.client.event(event, event_id="Ev0SAME").status == 200
    assert bot.client.event(event, event_id="Ev0SAME", team_id="T0OTHER").status == 200
    bot.slack.wait_for("views.publish", 2)
    assert processed_events(bot) == 2


HOSTILE_TEXTS = {
    "empty": "",
    "blank": "   \t  ",
    "huge": ("We launch the new pricing page on Monday " * 1000)[:40_000],
    "malformed": 'confidence:abc% review:2026-13-45 owner:@ door:sideways closes:-5m "unclosed',
    "emoji": "🚀 ship it 🎉 ñandú 漢字 \u200b\u202e zalgo z̷̢a̸l̵g̶o",
    "mentions": "<!channel> <!here> <!everyone> <@U0BOB> <#C0GENERAL|general> & < > &amp; &lt;",
}
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_survives_hostile_text(
    bot: RunningBot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    for name, text in HOSTILE_TEXTS.items():
        reply = bot.client.command(command, text, response_url=bot.slack.response_url())
        assert reply.status == 200, (command, name)
        body = reply.json()
        if body is not None:
            assert body.get("response_type", "ephemeral") == "ephemeral" or not any(
                b in reply.body for b in BROADCASTS
            ), (command, name)
            for broadcast in BROADCASTS:
                assert broadcast not in json.dumps(body, ensure_ascii=False), (command, name)
            assert body.get("text") != GENERIC_ERROR, (command, name)
    sent = json.dumps([c.params for c in bot.slack.calls()], ensure_ascii=False)
    for broadcast in BROADCASTS:
        assert broadcast not in sent, command
    assert GENERIC_ERROR not in sent, f"{command} crashed"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def test_concurrent_deliveries_and_timers_on_sqlite_never_see_a_locked_database(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Request threads record event ids while the scheduler claims and finishes timers."""
    fired: list[int] = []
    bot.core.timers.register("test_concurrency", lambda t: fired.append(int(t.id or 0)))
    now = datetime.now(UTC)
    with session_scope(bot.core.engine) as session:
        for i in range(100):
            bot.core.timers.add(
                session=session,
                team_id="T0TEST",
                kind="test_concurrency",
                ref_id=i,
                due_at=now - timedelta(seconds=i),
            )

    statuses: list[int] = []
    lock = threading.Lock()

    def deliver(worker: int) -> None:
        for n in range(10):
            event = {
                "type": "reaction_added",
                "user": "U0BOB",
                "reaction": "+1",
                "item": {"type": "message", "channel": "C1", "ts": "1.000100"},
            }
            for _delivery in range(2):  # Slack retrying each one once
                reply = bot.client.event(event, event_id=f"Ev{worker}x{n}")
                with lock:
                    statuses.append(reply.status)

    senders = [threading.Thread(target=deliver, args=(w,)) for w in range(20)]
    scheduler = threading.Thread(target=bot.run_timers)
    for thread in [*senders, scheduler]:
        thread.start()
    for thread in [*senders, scheduler]:
        thread.join(timeout=60)

    assert statuses == [200] * 400
    assert processed_events(bot) == 200
    assert sorted(fired) == sorted(set(fired)) and len(fired) == 100
    with session_scope(bot.core.engine) as session:
        states = session.exec(select(Timer.status).where(Timer.kind == "test_concurrency")).all()
    assert set(states) == {"done"}
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [p for p in problems if "locked" in p or "failed" in p], problems


def _signed_bodies() -> dict[str, tuple[str, str]]:
    """(body, content type) of a command, an event and a button press, as Slack sends them."""
    event = {
        "type": "event_callback",
        "team_id": "T0TEST",
        "event_id": "Ev0FORGED",
        "event": {"type": "app_home_opened", "user": "U0ALICE", "tab": "home"},
    }
    action = {
        "type": "block_actions",
        "team": {"id": "T0TEST"},
        "user": {"id": "U0ALICE"},
        "actions": [{"action_id": "anything", "value": "1"}],
    }
    return {
        "command": (
            urlencode(
                {
                    "command": "/decide",
                    "text": "We launch",
                    "team_id": "T0TEST",
                    "user_id": "U0ALICE",
                    "channel_id": "C1",
                }
            ),
            "application/x-www-form-urlencoded",
        ),
        "event": (json.dumps(event), "application/json"),
        "action": (urlencode({"payload": json.dumps(action)}), "application/x-www-form-urlencoded"),
    }


FORGERIES = ("bad signature", "no signature", "no timestamp", "tampered", "old", "future")


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("kind", ["command", "event", "action"])
def test_unsigned_or_forged_requests_are_refused_with_no_effect(
    bot: RunningBot, kind: str, forgery: str
) -> None:
    body, content_type = _signed_bodies()[kind]
    client, now = bot.client, bot.client.now()
    if forgery == "bad signature":
        reply = client.raw(body, content_type, signature="v0=" + "0" * 64)
    elif forgery == "no signature":
        reply = client.raw(body, content_type, omit=("X-Slack-Signature",))
    elif forgery == "no timestamp":
        reply = client.raw(body, content_type, omit=("X-Slack-Request-Timestamp",))
    elif forgery == "tampered":
        reply = client.tampered(body, body.replace("U0ALICE", "U0MALLORY"), content_type)
    else:
        # Outside Slack's five minutes with room to spare: the server reads its clock a moment
        # after the client did (seconds, on a loaded machine).
        at = now - 330 if forgery == "old" else now + 330
        reply = client.raw(body, content_type, timestamp=at, signature=client.sign(body, at))
    assert reply.status == 401
    assert bot.slack.calls() == []
    assert processed_events(bot) == 0


@pytest.mark.parametrize("running", ["bot", "pg_bot"])
def test_simultaneous_deliveries_of_one_event_have_one_effect(
    request: pytest.FixtureRequest, running: str
) -> None:
    """Slack's retry can arrive while the first delivery is still being handled (on another
    thread, or another instance): the database, not memory, decides which one counts."""
    bot: RunningBot = request.getfixturevalue(running)
    event = {"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home"}
    start = threading.Barrier(10)
    statuses: list[int] = []

    def deliver(retry: int) -> None:
        start.wait()
        reply = bot.client.event(event, event_id="Ev0RACE", retry_num=retry or None)
        statuses.append(reply.status)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [200] * 10
    other = {**event, "user": "U0BOB"}
    assert bot.client.event(other, event_id="Ev0AFTER").status == 200
    bot.slack.wait_for("views.publish", 2)
    assert sorted(c.params["user_id"] for c in bot.slack.calls("views.publish")) == [
        "U0ALICE",
        "U0BOB",
    ]
    assert processed_events(bot) == 2
