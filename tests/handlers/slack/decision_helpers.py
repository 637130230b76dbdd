"""Helpers for end-to-end decision tests: propose, vote, read what the double shows."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import select

from handlers.slack.blocks.decisions import FINALIZE, REASON_VIEW, VOTE_ACTIONS
from storage.db import session_scope
from storage.models import Decision
from tests.conftest import RunningBot
from tests.slack_double import Call, SlackDouble

CHANNEL = "C0GENERAL"
OWNER = "U0OWNER"


def as_dict(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def message_text(message: dict[str, Any] | None) -> str:
    """Every text in a message or view (blocks, fields, buttons), joined by newlines."""
    if not message:
        return ""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(as_dict(message.get("blocks")) or [])
    return "\n".join(found)


def action_ids(message: dict[str, Any] | None) -> list[str]:
    ids: list[str] = []
    for block in as_dict((message or {}).get("blocks")) or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            ids.append(element["action_id"])
    return ids


def wait_until(condition: Callable[[], bool], timeout: float = 6.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.01)


def shown(slack: SlackDouble, channel: str, ts: str) -> str:
    return message_text(slack.messages.get((channel, ts)))


def wait_shown(slack: SlackDouble, channel: str, ts: str, *needles: str) -> str:
    wait_until(
        lambda: all(n in shown(slack, channel, ts) for n in needles),
        what=f"{needles} in message {ts}: {shown(slack, channel, ts)!r}",
    )
    return shown(slack, channel, ts)


def decision_row(bot: RunningBot, number: int = 1, team_id: str = "T0TEST") -> Decision:
    with session_scope(bot.core.engine) as session:
        row = session.exec(
            select(Decision).where(Decision.team_id == team_id, Decision.number == number)
        ).one()
        return row


def wait_row(bot: RunningBot, condition: Callable[[Decision], bool], number: int = 1) -> Decision:
    """The decision once `condition` holds (work after a Slack answer lands a moment later)."""
    wait_until(lambda: condition(decision_row(bot, number)), what="decision row condition")
    return decision_row(bot, number)


def propose(bot: RunningBot, text: str, *, user: str = OWNER, **kwargs: Any) -> tuple[str, int]:
    """`/decide text`; returns (poll ts, decision id) once the poll is posted."""
    channel = CHANNEL

    def is_poll(call: Call) -> bool:
        # The poll itself: its vote buttons, in the channel, answered (not the log's
        # announcement, a reply in a thread or a failed try).
        return (
            call.error is None
            and call.params.get("channel") == channel
            and "decision_vote_agree" in action_ids(call.params)
        )

    polls_before = len([c for c in bot.slack.calls("chat.postMessage") if is_poll(c)])
    reply = bot.client.command("/decide", text, user_id=user, channel_id=channel, **kwargs)
    assert reply.status == 200, reply.body
    posted = bot.slack.wait_for("chat.postMessage", polls_before + 1, predicate=is_poll)[
        polls_before
    ]
    ts = _answer_ts(bot.slack, posted)
    found: list[Decision] = []

    def stored() -> bool:
        # The poll's ts is saved just after chat.postMessage answers.
        with session_scope(bot.core.engine) as session:
            found[:] = session.exec(select(Decision).where(Decision.poll_ts == ts)).all()
        return bool(found)

    wait_until(stored, what=f"decision with poll {ts}")
    return ts, int(found[0].id or 0)


def _answer_ts(slack: SlackDouble, call: Call) -> str:
    for (channel, ts), message in slack.messages.items():
        if channel == call.params["channel"] and message["text"] == call.params.get("text"):
            if message.get("thread_ts") == call.params.get("thread_ts"):
                return ts
    raise AssertionError("posted message not found")


def opened_view(slack: SlackDouble, trigger: str, timeout: float = 5.0) -> dict[str, Any]:
    call = slack.wait_for(
        "views.open", predicate=lambda c: c.params.get("trigger_id") == trigger, timeout=timeout
    )[-1]
    return as_dict(call.params["view"])


def vote(
    bot: RunningBot,
    decision_id: int,
    poll_ts: str,
    user: str,
    choice: str,
    reason: str | None = None,
) -> None:
    trigger = f"trig-{user}-{choice}-{time.monotonic_ns()}"
    reply = bot.client.block_action(
        VOTE_ACTIONS[choice],
        str(decision_id),
        user_id=user,
        channel_id=CHANNEL,
        message_ts=poll_ts,
        trigger_id=trigger,
    )
    assert reply.status == 200
    if reason is None:
        return
    view = opened_view(bot.slack, trigger)
    assert view["callback_id"] == REASON_VIEW
    submitted = bot.client.view_submission(
        REASON_VIEW,
        {"reason": {"value": {"type": "plain_text_input", "value": reason}}},
        private_metadata=view["private_metadata"],
        user_id=user,
    )
    assert submitted.status == 200
    assert submitted.json() is None, submitted.body


def press_finalize(bot: RunningBot, decision_id: int, poll_ts: str, user: str) -> str:
    trigger = f"trig-final-{user}-{time.monotonic_ns()}"
    reply = bot.client.block_action(
        FINALIZE,
        str(decision_id),
        user_id=user,
        channel_id=CHANNEL,
        message_ts=poll_ts,
        trigger_id=trigger,
    )
    assert reply.status == 200
    return trigger


def ephemerals_to(slack: SlackDouble, user: str) -> list[str]:
    return [
        str(c.params.get("text"))
        for c in slack.calls("chat.postEphemeral")
        if c.params.get("user") == user
    ]
