"""Who may see and do what with decisions, end to end: superseding with `replaces:`, anonymous
polls, private channels' content in public places, and shared channels / org-wide installs."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from handlers.blocks.decisions import ANDON_VIEW, PULL_ANDON, RESOLVE_ACTIONS
from storage.db import session_scope
from storage.models import Decision, DecisionEvent, Timer
from tests.conftest import RunningBot
from tests.handlers.decision_helpers import OWNER, decision_row, opened_view, wait_until

GENERAL = "C0GENERAL"
SECRET = "C0SECRET"
MALLORY = "U0MALLORY"
ADMIN = "U0ADMIN"


def _log(bot: RunningBot, text: str, *, user: str = OWNER, channel: str = GENERAL) -> str:
    reply = bot.client.command("/decisions", f"log {text}", user_id=user, channel_id=channel)
    assert reply.status == 200, reply.body
    return str(reply.json()["text"])


def _timers(bot: RunningBot, decision_id: int) -> list[tuple[str, str]]:
    with session_scope(bot.core.engine) as session:
        rows = session.exec(
            select(Timer).where(Timer.ref_id == decision_id, col(Timer.kind).like("review%"))
        ).all()
        return sorted((t.kind, t.status) for t in rows)


def _decisions(bot: RunningBot) -> list[tuple[int, str, int | None]]:
    with session_scope(bot.core.engine) as session:
        rows = session.exec(select(Decision).order_by(col(Decision.number))).all()
        return [(d.number, d.status, d.replaced_by_id) for d in rows]


def _dms_to(bot: RunningBot, user: str) -> list[str]:
    return [
        str(c.params.get("text"))
        for c in bot.slack.calls("chat.postMessage")
        if c.params.get("channel") == f"D{user}"
    ]


def _private_channel(bot: RunningBot, *members: str) -> None:
    bot.slack.private_channels.add(SECRET)
    bot.slack.channel_names[SECRET] = "secret"
    bot.slack.channel_members[SECRET] = list(members)


def test_only_the_owner_or_an_admin_supersedes_and_the_owner_is_told(bot: RunningBot) -> None:
    _private_channel(bot, OWNER)
    assert "Logged *D-1*" in _log(bot, "Secret pricing plan", channel=SECRET)
    assert "Logged *D-2*" in _log(bot, "Public launch in March")
    wait_until(lambda: decision_row(bot, 2).record_ts is not None, what="D-2 announced")
    before = _decisions(bot)
    timers_1, timers_2 = _timers(bot, decision_row(bot, 1).id), _timers(bot, decision_row(bot, 2).id)
    assert timers_1 == [("review_due", "pending")] and timers_2 == timers_1

    # Someone outside the private channel learns nothing about D-1: the same answer as for a
    # decision that does not exist.
    hidden = _log(bot, "Cheaper plan replaces:D-1", user=MALLORY)
    missing = _log(bot, "Cheaper plan replaces:D-99", user=MALLORY)
    assert hidden == missing.replace("D-99", "D-1")
    assert "not found" in hidden and "Logged" not in hidden
    # A member of the workspace who is not the owner may not supersede a public decision.
    refused = _log(bot, "Launch in May replaces:D-2", user=MALLORY)
    assert "Only the owner of D-2 or a workspace admin" in refused and "Logged" not in refused
    assert _decisions(bot) == before
    assert _timers(bot, decision_row(bot, 1).id) == timers_1
    assert _timers(bot, decision_row(bot, 2).id) == timers_2
    assert _dms_to(bot, OWNER) == []

    # An admin may; the owner is told in a direct message.
    bot.slack.users[ADMIN] = {"is_admin": True}
    assert "Logged *D-3*" in _log(bot, "Launch in May replaces:D-2", user=ADMIN)
    d2, d3 = decision_row(bot, 2), decision_row(bot, 3)
    assert d2.status == "superseded" and d2.replaced_by_id == d3.id
    assert _timers(bot, int(d2.id or 0)) == [("review_due", "cancelled")]
    told = bot.slack.wait_for(
        "chat.postMessage", predicate=lambda c: c.params.get("channel") == f"D{OWNER}"
    )
    assert "D-2" in told[0].params["text"] and "D-3" in told[0].params["text"]
    assert f"<@{ADMIN}>" in told[0].params["text"] and "Launch in May" in told[0].params["text"]
    # The owner supersedes their own decision without being told about it.
    assert "Logged *D-4*" in _log(bot, "Pricing plan B replaces:D-1", channel=SECRET)
    assert decision_row(bot, 1).status == "superseded"
    assert len(_dms_to(bot, OWNER)) == 1


def test_a_halted_decision_is_superseded_only_after_it_is_resumed(bot: RunningBot) -> None:
    assert "Logged *D-1*" in _log(bot, "Support in EU hours")
    row = decision_row(bot, 1)
    wait_until(lambda: decision_row(bot, 1).record_ts is not None, what="D-1 announced")
    bot.client.block_action(
        PULL_ANDON, str(row.id), user_id=MALLORY, message_ts=str(row.record_ts), trigger_id="t-a"
    )
    view = opened_view(bot.slack, "t-a")
    reply = bot.client.view_submission(
        ANDON_VIEW,
        {"reason": {"value": {"type": "plain_text_input", "value": "Customers left"}}},
        private_metadata=view["private_metadata"],
        user_id=MALLORY,
    )
    assert reply.status == 200 and reply.json() is None
    assert decision_row(bot, 1).status == "halted"

    refused = _log(bot, "Support in US hours replaces:D-1")
    assert "halted" in refused and "resume, amend or reverse" in refused
    assert "Logged" not in refused
    assert [(n, s) for n, s, _ in _decisions(bot)] == [(1, "halted")]
    assert _timers(bot, int(row.id or 0)) == [("review_due", "pending")]

    bot.client.block_action(
        RESOLVE_ACTIONS["resume"], str(row.id), user_id=OWNER, message_ts=str(row.record_ts)
    )
    wait_until(lambda: decision_row(bot, 1).status == "active", what="D-1 resumed")
    assert "Logged *D-2*" in _log(bot, "Support in US hours replaces:D-1")
    assert decision_row(bot, 1).status == "superseded"
    with session_scope(bot.core.engine) as session:
        kinds = [e.kind for e in session.exec(select(DecisionEvent)).all()]
    assert "superseded" in kinds


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
