"""Calibration in words in `/decisions stats` and the Home tab, and names instead of ids in
every export: names seen in requests and in Slack's answers are remembered, and the
command-line export shows them."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from bot.names import name_book
from handlers.cli import main
from storage.db import session_scope
from storage.models import Review
from tests.conftest import RunningBot
from tests.log_helpers import TEAM, add_decision, add_vote

NOW = datetime(2026, 12, 10, 10, 0)


def _reviewed(bot: RunningBot, confidence: int, outcome: str, due: datetime) -> None:
    decision = add_decision(
        bot.core.engine, confidence=confidence, created_at=due - timedelta(days=60)
    )
    with session_scope(bot.core.engine) as session:
        session.add(
            Review(
                team_id=TEAM,
                decision_id=int(decision.id or 0),
                due_at=due,
                sent_at=due,
                answered_at=due,
                outcome=outcome,
            )
        )


def test_stats_and_home_tab_show_calibration_by_confidence_band(bot: RunningBot) -> None:
    utc = datetime.fromisoformat("2026-12-01T09:00:00+00:00")
    _reviewed(bot, 40, "reverse", utc)
    _reviewed(bot, 45, "keep", utc + timedelta(days=1))
    _reviewed(bot, 60, "keep", utc + timedelta(days=2))
    _reviewed(bot, 80, "amend", utc - timedelta(days=40))  # due before the 30 days
    want = (
        "under 50%: 2 reviewed (50% kept, 0% amended, 50% reversed); "
        "50–69%: 1 reviewed (100% kept, 0% amended, 0% reversed); 70–89%: —; 90% and over: —"
    )
    with freeze_time(NOW, tick=True):
        url = bot.slack.response_url("stats")
        bot.client.command("/decisions", "stats", response_url=url)
        (answer,) = bot.slack.wait_for(
            "response_url", predicate=lambda c: c.params["_id"] == "stats"
        )
        assert want in json.dumps(answer.params["blocks"], ensure_ascii=False)
        bot.client.event({"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        (published,) = bot.slack.wait_for("views.publish")
    assert want in json.dumps(published.params["view"], ensure_ascii=False)


def _cli_rows(bot: RunningBot, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    monkeypatch.setenv("DATABASE_URL", bot.database_url)
    assert main(["export", "--out", str(out)]) == 0
    wb = load_workbook(out)
    return {name: list(wb[name].iter_rows(values_only=True)) for name in ("Decisions", "Votes")}


def test_exports_show_the_names_the_bot_has_seen(
    bot: RunningBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = bot.core.engine
    decision = add_decision(engine, text="We launch", owner_id="U0ALICE")
    add_vote(engine, decision, "U0BOB", "disagree", "Too early")
    add_vote(engine, decision, "U0NOBODY", "agree")
    # Names arrive with requests: a slash command's user_name and channel_name, an
    # interaction's user.name.
    bot.client.command("/decisions", "help", user_id="U0ALICE", user_name="alice")
    bot.client.block_action("log_page_next", "{}", user_id="U0BOB", channel_id="C0OTHER")
    name_book(bot.core).settle()

    rows = _cli_rows(bot, tmp_path / "cli.xlsx", monkeypatch)
    header, row = rows["Decisions"][0], rows["Decisions"][1]
    shown = dict(zip(header, row, strict=True))
    assert (shown["Owner"], shown["Channel"]) == ("alice", "#general")
    assert shown["Dissent (name: reason)"] == "u0bob (Disagree): Too early"
    # Nobody has seen U0NOBODY's name: the id stays.
    assert [v[1] for v in rows["Votes"][1:]] == ["u0bob", "U0NOBODY"]

    # The export asked for in Slack looks names up; what Slack answers is remembered and
    # preferred from then on over the handles requests carry.
    bot.slack.users["U0ALICE"] = {"profile": {"display_name": "Alice Archer"}}
    reply = bot.client.command("/decisions", "export all", user_id="U0ALICE", user_name="alice")
    assert "Preparing" in reply.json()["text"]
    (done,) = bot.slack.wait_for("files.completeUploadExternal", timeout=20)
    file_id = json.loads(done.params["files"])[0]["id"]
    slack_rows = list(
        load_workbook(io.BytesIO(bot.slack.uploads[file_id]))["Decisions"].iter_rows(
            values_only=True
        )
    )
    assert dict(zip(slack_rows[0], slack_rows[1], strict=True))["Owner"] == "Alice Archer"
    bot.client.command("/decisions", "help", user_id="U0ALICE", user_name="alice")
    name_book(bot.core).settle()
    rows = _cli_rows(bot, tmp_path / "cli2.xlsx", monkeypatch)
    assert dict(zip(rows["Decisions"][0], rows["Decisions"][1], strict=True))["Owner"] == (
        "Alice Archer"
    )
