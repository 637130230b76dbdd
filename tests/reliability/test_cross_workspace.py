"""Another workspace naming this workspace's records in buttons, modal metadata and commands:
not found, nothing changed, nothing shown. (Votes, finalize/Andon-pull/commit buttons, the reason
modal, proposing from a narrative, ending a narrative, thread replies, the Home tab, records opened
from Home and /decisions lists, search and export are covered by the feature tests already.)"""

from __future__ import annotations

import json
from typing import Any

from freezegun import freeze_time
from sqlalchemy import MetaData, select
from sqlmodel import col
from sqlmodel import select as sm_select

from bot.names import name_book
from storage.db import session_scope
from storage.models import AndonPull, Decision, Narrative, Review
from tests.conftest import TEAM, RunningBot
from tests.handlers.slack.decision_helpers import OWNER, propose, wait_until

OTHER = "T0OTHER"
INTRUDER = "U0INTRUDER"
SECRETS = ("Secret pricing six-pager", "Secret EU hours plan", "Secret launch poll")


def everything(bot: RunningBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the event dedupe log), to compare before and after.

    Of the names the bot has seen and the workspaces it serves, only this workspace's: the
    other workspace's requests carry its own people's and channels' names, which it may
    remember for itself, and make it known as a workspace of its own."""
    name_book(bot.core).settle()
    meta = MetaData()
    meta.reflect(bind=bot.core.engine)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with bot.core.engine.connect() as conn:
        for name, table in sorted(meta.tables.items()):
            if name in ("processedevent", "processed_event", "alembic_version"):
                continue
            stmt = select(table)
            if name in ("known_name", "workspace"):
                stmt = stmt.where(table.c.team_id == TEAM)
            rows[name] = sorted(
                (tuple(str(v) for v in row) for row in conn.execute(stmt)),
            )
    return rows


def settle(bot: RunningBot) -> None:
    """Every request so far handled, with the work and message updates it asked for."""
    bot.wait_idle()


def setup_workspace(bot: RunningBot) -> dict[str, int]:
    """In T0TEST: a narrative being read, a halted decision with a sent review, an open poll."""
    slack = bot.slack
    reply = bot.client.command("/narrative", f"20m {SECRETS[0]}", user_id=OWNER)
    assert reply.status == 200
    slack.wait_for("chat.postMessage")
    reply = bot.client.command(
        "/decisions", f"log {SECRETS[1]} confidence:40% owner:<@{OWNER}>", user_id=OWNER
    )
    assert "Logged" in reply.body

    def logged() -> Decision | None:
        with session_scope(bot.core.engine) as session:
            return session.exec(
                sm_select(Decision).where(
                    Decision.source == "log", col(Decision.record_ts).is_not(None)
                )
            ).first()

    # The log's announcement is posted after the answer: wait for it, so that `propose` does
    # not take it for the poll (it waits for the next chat.postMessage).
    wait_until(lambda: logged() is not None, what="logged decision")
    _poll_ts, poll_id = propose(bot, SECRETS[2])
    with session_scope(bot.core.engine) as session:
        decision = session.exec(sm_select(Decision).where(Decision.source == "log")).one()
        decision.status = "halted"
        session.add(decision)
        now = bot.core.clock.now()
        pull = AndonPull(
            team_id="T0TEST",
            decision_id=int(decision.id or 0),
            user_id="U0ANA",
            reason="Legal has not signed off",
            pulled_at=now,
        )
        review = Review(
            team_id="T0TEST",
            decision_id=int(decision.id or 0),
            due_at=now,
            sent_at=now,
            dm_channel=f"D{OWNER}",
            dm_ts="1700000000.000900",
        )
        session.add(pull)
        session.add(review)
        session.flush()
        narrative = session.exec(sm_select(Narrative)).one()
        ids = {
            "narrative": int(narrative.id or 0),
            "decision": int(decision.id or 0),
            "poll": poll_id,
            "review": int(review.id or 0),
        }
    settle(bot)
    return ids


def plain(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def test_another_workspace_cannot_touch_or_see_records(bot: RunningBot) -> None:
    slack = bot.slack
    # An admin of the other workspace: being an admin there must not help here.
    slack.users[INTRUDER] = {"is_admin": True}
    with freeze_time("2026-12-01 09:00:00", tick=True):
        ids = setup_workspace(bot)
        before = everything(bot)
        calls_before = len(slack.calls())

        def press(action: str, value: int, **kw: Any) -> None:
            reply = bot.client.block_action(
                action,
                str(value),
                user_id=INTRUDER,
                team_id=OTHER,
                trigger_id=f"trig-{action}",
                **kw,
            )
            assert reply.status == 200, (action, reply.status)

        for action in ("narrative_done", "narrative_ask", "narrative_end"):
            press(action, ids["narrative"])
        for action in ("decision_andon_resume", "decision_andon_amend", "decision_andon_reverse"):
            press(action, ids["decision"], channel_id=f"D{INTRUDER}")
        for action in (
            "review_keep",
            "review_amend",
            "review_reverse",
            "review_snooze_week",
            "review_snooze_month",
        ):
            press(action, ids["review"], channel_id=f"D{INTRUDER}")

        submissions: list[tuple[str, dict[str, Any], str]] = [
            (
                "decision_finalize",
                {"final_text": {"value": plain("Theirs now")}},
                json.dumps({"decision_id": ids["poll"]}),
            ),
            (
                "decision_andon",
                {"reason": {"value": plain("Stop it")}},
                json.dumps({"decision_id": ids["decision"]}),
            ),
            (
                "decision_amend",
                {"final_text": {"value": plain("Amended by strangers")}},
                json.dumps({"decision_id": ids["decision"]}),
            ),
            (
                "narrative_ask_submit",
                {"question": {"value": plain("Sneaky question?")}},
                str(ids["narrative"]),
            ),
            (
                "review_keep",
                {
                    "learned": {"value": plain("nothing")},
                    "actual": {
                        "value": {"type": "static_select", "selected_option": {"value": "50"}}
                    },
                },
                json.dumps({"review": ids["review"], "outcome": "keep"}),
            ),
            (
                "review_change",
                {
                    "learned": {"value": plain("nothing")},
                    "new_text": {"value": plain("Reversed by strangers")},
                },
                json.dumps({"review": ids["review"], "outcome": "reverse"}),
            ),
        ]
        for callback, values, metadata in submissions:
            reply = bot.client.view_submission(
                callback, values, private_metadata=metadata, user_id=INTRUDER, team_id=OTHER
            )
            assert reply.status == 200, (callback, reply.status)
            body = reply.json()
            if callback != "narrative_ask_submit":
                assert body and body.get("response_action") == "errors", (callback, body)

        # Commands in the other workspace, in the same channel ids, naming the same numbers.
        for command, words in (
            ("/decisions", "D-1"),
            ("/decisions", "D-2"),
            ("/decisions", "search Secret"),
            ("/decisions", ""),
            ("/decisions", "due"),
            ("/narrative", "status"),
            ("/narrative", "end"),
            ("/reflect", "status"),
        ):
            reply = bot.client.command(
                command,
                words,
                user_id=INTRUDER,
                team_id=OTHER,
                response_url=slack.response_url(f"x{len(slack.calls())}"),
            )
            assert reply.status == 200
            assert not any(s in reply.body for s in SECRETS), (command, words, reply.body)
        bot.client.event(
            {"type": "app_home_opened", "user": INTRUDER, "tab": "home"}, team_id=OTHER
        )
        slack.wait_for("views.publish", predicate=lambda c: c.params.get("user_id") == INTRUDER)
        settle(bot)

    assert everything(bot) == before, "another workspace changed this workspace's records"
    after = slack.calls()[calls_before:]
    assert not [c.method for c in after if c.method in ("views.open", "views.push", "chat.update")]
    for call in after:
        shown = json.dumps(call.params, ensure_ascii=False, default=str)
        assert not any(s in shown for s in SECRETS), (call.method, shown[:300])
        if call.method == "chat.postMessage":
            assert str(call.params.get("channel")).startswith(("D", INTRUDER)), call.params
    told = [str(c.params.get("text")) for c in after if c.method == "chat.postEphemeral"]
    assert sum("not found in this workspace" in t for t in told) == 3, told
    assert sum("no longer exists" in t for t in told) == 5, told
