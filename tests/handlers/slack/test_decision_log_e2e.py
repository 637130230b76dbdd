"""The decision log end to end: a logged decision, its review on the date (also after downtime),
a reversal with a replacement, the Home tab, the export and workspace isolation."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from openpyxl import load_workbook
from sqlmodel import select

from storage.db import session_scope
from storage.decisions import get_decision_by_number, insert_decision
from storage.models import Decision, Review, Timer, Vote
from tests.conftest import TEAM, RunningBot

OWNER = "U0OWNER"
DISSENTER = "U0DAN"
INJECTION = '=HYPERLINK("http://x")'


def _decision(bot: RunningBot, number: int, team: str = TEAM) -> Decision:
    with session_scope(bot.core.engine) as session:
        decision = get_decision_by_number(session=session, team_id=team, number=number)
        assert decision is not None
        return decision


def _eventually(get: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    """What `get` returns once `ok` holds (work after the ack finishes on Bolt's threads)."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


def _dms(bot: RunningBot, user: str) -> list:
    return [c for c in bot.slack.calls("chat.postMessage") if c.params.get("channel") == f"D{user}"]


def _add_votes(bot: RunningBot, decision_id: int) -> None:
    at = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)
    with session_scope(bot.core.engine) as session:
        session.add(
            Vote(
                team_id=TEAM,
                decision_id=decision_id,
                user_id=DISSENTER,
                choice="agree",
                cast_at=at,
                current=False,
            )
        )
        session.add(
            Vote(
                team_id=TEAM,
                decision_id=decision_id,
                user_id=DISSENTER,
                choice="disagree",
                reason=INJECTION,
                cast_at=at,
                current=True,
            )
        )
        session.add(
            Vote(
                team_id=TEAM, decision_id=decision_id, user_id="U0ALICE", choice="agree", cast_at=at
            )
        )


def _other_workspace_decision(bot: RunningBot) -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with session_scope(bot.core.engine) as session:
        insert_decision(
            session=session,
            team_id="T0OTHER",
            decision=Decision(
                team_id="T0OTHER",
                number=0,
                channel_id="C0GENERAL",
                owner_id=OWNER,
                proposed_by=OWNER,
                proposal="Secret plan of another workspace",
                final_text="Secret plan of another workspace",
                confidence=40,
                review_on=datetime(2026, 12, 31, 9, 0, tzinfo=UTC),
                status="active",
                source="log",
                created_at=now,
                decided_at=now,
            ),
        )


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _home_text(bot: RunningBot, user: str) -> str:
    return json.dumps(bot.slack.home_tabs[user]["blocks"])


def test_logged_decision_is_reviewed_reversed_browsed_and_exported(bot: RunningBot) -> None:
    slack = bot.slack
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:  # a Tuesday
        _other_workspace_decision(bot)
        reply = bot.client.command(
            "/decisions",
            f"log We move support to EU hours confidence:40% owner:<@{OWNER}>",
        )
        assert reply.status == 200
        assert "Logged *D-1*" in reply.json()["text"]
        assert "little information" in reply.json()["text"]
        decision = _eventually(lambda: _decision(bot, 1), lambda d: d.permalink is not None)
        assert decision.status == "active" and decision.source == "log"
        # 30 days for 40% confidence
        assert abs(decision.review_on - datetime(2026, 12, 31, 9, 0, tzinfo=UTC)) < timedelta(
            minutes=1
        )
        assert decision.record_ts and decision.permalink
        _add_votes(bot, int(decision.id or 0))

        clock.move_to("2026-12-30 12:00:00")
        bot.run_timers()
        assert _dms(bot, OWNER) == []

        # The bot is down over the review date and comes back after it.
        bot.stop()
        clock.move_to("2027-01-04 10:00:00")  # Monday, 11:00 in Berlin
        bot.start()
        bot.run_timers()
        bot.run_timers()
        bot.restart()
        bot.run_timers()
        dms = _dms(bot, OWNER)
        assert len(dms) == 1, "the review DM arrives exactly once"
        dm = json.dumps(dms[0].params["blocks"])
        assert "D-1" in dm and "40%" in dm
        assert "HYPERLINK" in dm and "review_reverse" in dm and "review_snooze_week" in dm
        with session_scope(bot.core.engine) as session:
            review = session.exec(select(Review)).one()
        assert review.dm_ts and _decision(bot, 1).status == "under_review"

        # Reverse, with the decision that replaces it.
        bot.client.block_action(
            "review_reverse", str(review.id), user_id=OWNER, channel_id=f"D{OWNER}"
        )
        modal = slack.wait_for("views.open")[0]
        assert _json(modal.params["view"])["callback_id"] == "review_change"
        values = {
            "new_text": {
                "value": {"type": "plain_text_input", "value": "Support stays in US hours"}
            },
            "learned": {"value": {"type": "plain_text_input", "value": "EU demand was small"}},
            "actual": {"value": {"type": "static_select", "selected_option": {"value": "30"}}},
        }
        reply = bot.client.view_submission(
            "review_change",
            values,
            private_metadata=json.dumps({"review": review.id, "outcome": "reverse"}),
            user_id=OWNER,
        )
        assert reply.status == 200 and not reply.body.strip()
        told = slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params.get("channel") == f"D{DISSENTER}"
        )
        assert "Your dissent on *D-1* was relevant" in told[0].params["text"]
        original, replacement = _decision(bot, 1), _decision(bot, 2)
        assert original.status == "reversed"
        assert original.replaced_by_id == replacement.id
        assert replacement.replaces_id == original.id
        assert (
            replacement.status == "active" and replacement.final_text == "Support stays in US hours"
        )
        note = slack.wait_for(
            "chat.postMessage", predicate=lambda c: c.params.get("thread_ts") == original.record_ts
        )
        assert "reversed" in note[0].params["text"] and "D-2" in note[0].params["text"]
        slack.wait_for("chat.update")
        with session_scope(bot.core.engine) as session:
            timers = session.exec(
                select(Timer).where(Timer.kind == "review_due", Timer.ref_id == replacement.id)
            ).all()
        assert [t.status for t in timers] == ["pending"]

        # The Home tab lists and filters the log, and only this workspace's.
        bot.client.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        slack.wait_for("views.publish")
        home = _home_text(bot, "U0ALICE")
        assert "D-1" in home and "D-2" in home and "Secret plan" not in home
        assert len(slack.home_tabs["U0ALICE"]["blocks"]) <= 100
        metadata = slack.home_tabs["U0ALICE"]["private_metadata"]
        bot.client.block_action(
            "home_filter_status",
            action_type="static_select",
            action_extra={"selected_option": {"value": "reversed"}},
            view={"type": "home", "private_metadata": metadata},
        )
        slack.wait_for("views.publish", 2)
        home = _home_text(bot, "U0ALICE")
        assert "*D-1*" in home and "*D-2*" not in home
        assert json.loads(slack.home_tabs["U0ALICE"]["private_metadata"])["s"] == "reversed"

        # The export, opened with openpyxl.
        reply = bot.client.command("/decisions", "export all")
        assert "Preparing" in reply.json()["text"]
        done = slack.wait_for("files.completeUploadExternal", timeout=20)
        file_id = _json(done[0].params["files"])[0]["id"]
        assert slack.files[file_id]["channel_id"] == f"D{'U0ALICE'}"
        wb = load_workbook(io.BytesIO(slack.uploads[file_id]))
        assert wb.sheetnames == [
            "Summary",
            "Decisions",
            "Votes",
            "Reviews",
            "Questions",
            "Reflections",
        ]
        decisions = list(wb["Decisions"].iter_rows(values_only=True))
        assert [r[0] for r in decisions[1:]] == ["D-1", "D-2"]
        header = decisions[0]
        assert any(str(h).startswith("Created (") for h in header)
        created = decisions[1][
            header.index(next(h for h in header if str(h).startswith("Created")))
        ]
        assert isinstance(created, datetime)
        votes = list(wb["Votes"].iter_rows(values_only=True))
        assert len(votes) == 1 + 3  # the changed vote is kept
        reason_cells = [row[3] for row in wb["Votes"].iter_rows(min_row=2) if row[3].value]
        assert reason_cells[0].value == INJECTION and reason_cells[0].data_type == "s"
        dissent_col = header.index("Dissent (name: reason)")
        assert INJECTION in decisions[1][dissent_col]
        reviews = list(wb["Reviews"].iter_rows(values_only=True))
        assert len(reviews) == 2 and reviews[1][6] == "Reversed"
        assert "Secret plan" not in json.dumps(decisions, default=str)
