"""`/decisions` end to end: lists with pages, search, due, mine, one record, log, stats, export."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from freezegun import freeze_time
from openpyxl import load_workbook
from sqlmodel import select

from handlers.slack.directory import clear_cache
from storage.db import session_scope
from storage.models import Decision
from tests.conftest import RunningBot
from tests.log_helpers import START, add_decision, add_vote
from tests.slack_double import Call


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _responses(bot: RunningBot, name: str) -> list[dict[str, Any]]:
    return [c.params for c in bot.slack.calls("response_url") if c.params.get("_id") == name]


def _text(params: dict[str, Any]) -> str:
    return json.dumps(params.get("blocks")) + str(params.get("text"))


def test_help_and_unknown(bot: RunningBot) -> None:
    help_text = bot.client.command("/decisions", "help").json()["text"]
    for sub in ("search", "due", "mine", "D-42", "log", "stats", "export"):
        assert sub in help_text
    unknown = bot.client.command("/decisions", "frobnicate").json()
    assert unknown["response_type"] == "ephemeral" and "frobnicate" in unknown["text"]
    assert "search" in bot.client.command("/decisions", "search").json()["text"]


def test_channel_list_pages_forward_and_back_never_cut(bot: RunningBot) -> None:
    engine = bot.core.engine
    for i in range(23):
        add_decision(engine, text=f"decision number {i}", created_at=START + timedelta(hours=i))
    add_decision(engine, text="elsewhere", channel_id="C0OTHER")
    add_decision(engine, team_id="T0OTHER", text="other workspace")
    url = bot.slack.response_url("list")
    with freeze_time("2026-12-05 10:00:00", tick=True):
        assert bot.client.command("/decisions", "", response_url=url).status == 200
        bot.slack.wait_for("response_url")
    first = _responses(bot, "list")[0]
    assert first["response_type"] == "ephemeral"
    text = _text(first)
    assert "Latest decisions in <#C0GENERAL>" in text
    assert "decision number 22" in text and "decision number 13" in text
    assert "decision number 12" not in text and "elsewhere" not in text
    assert "other workspace" not in text
    nav = [b for b in first["blocks"] if b["type"] == "actions"][-1]
    assert [e["action_id"] for e in nav["elements"]] == ["log_page_next"]
    seen = set()
    value = nav["elements"][0]["value"]
    for page in range(1, 3):
        bot.client.block_action("log_page_next", value, response_url=url)
        bot.slack.wait_for("response_url", page + 1)
        params = _responses(bot, "list")[page]
        assert params["replace_original"] is True
        for block in params["blocks"]:
            if block["type"] == "section" and "decision number" in block["text"]["text"]:
                seen.add(block["text"]["text"].split("\n")[1])
        buttons = [e for b in params["blocks"] if b["type"] == "actions" for e in b["elements"]]
        ids = [e["action_id"] for e in buttons]
        assert "log_page_prev" in ids
        if page == 1:
            value = next(e["value"] for e in buttons if e["action_id"] == "log_page_next")
        else:
            assert "log_page_next" not in ids
    assert len(seen) == 13, "pages 2 and 3 hold the other 13 decisions"


def test_search_due_mine_and_record(bot: RunningBot) -> None:
    engine = bot.core.engine
    pricing = add_decision(
        engine,
        text="We launch <!channel> pricing",
        owner_id="U0ALICE",
        confidence=40,
        review_in=timedelta(days=2),
    )
    add_vote(engine, pricing, "U0DAN", "disagree", "Europe will churn")
    add_vote(engine, pricing, "U0EVE", "disagree_commit", "risky but ok")
    add_decision(engine, text="Hire two engineers", owner_id="U0BEN")
    add_decision(engine, team_id="T0OTHER", text="pricing elsewhere")
    url = bot.slack.response_url("r")
    with freeze_time("2026-12-02 10:00:00", tick=True):
        bot.client.command("/decisions", "search churn <!here>", response_url=url)
        bot.slack.wait_for("response_url", 1)
        bot.client.command("/decisions", "search churn", response_url=url)
        bot.slack.wait_for("response_url", 2)
        bot.client.command("/decisions", "due", response_url=url)
        bot.slack.wait_for("response_url", 3)
        bot.client.command("/decisions", "mine", user_id="U0BEN", response_url=url)
        bot.slack.wait_for("response_url", 4)
        bot.client.command("/decisions", "D-1", response_url=url)
        bot.slack.wait_for("response_url", 5)
        bot.client.command("/decisions", "D-99", response_url=url)
        bot.slack.wait_for("response_url", 6)
    nothing, search, due, mine, record, missing = (_text(p) for p in _responses(bot, "r"))
    # Slack markup in the query becomes an inert word, never a broadcast.
    assert "No decisions found" in nothing and "churn @here" in nothing
    assert "<!here>" not in nothing
    assert "D-1" in search and "Hire" not in search and "elsewhere" not in search
    assert "&lt;!channel&gt;" in search and "<!channel>" not in search
    assert "D-1" in due and "Hire" not in due
    assert "Hire two engineers" in mine and "pricing" not in mine
    assert "Europe will churn" in record and "risky but ok" in record
    assert "40%" in record and "little information" in record and "committed" in record
    assert "no decision D-99" in missing


def test_log_records_announces_and_rejects_bad_input(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True):
        bad = bot.client.command("/decisions", "log We do X confidence:150%").json()
        assert "between 1% and 100%" in bad["text"] and "/decisions log" in bad["text"]
        bad = bot.client.command("/decisions", "log confidence:50%").json()
        assert "empty" in bad["text"]
        ok = bot.client.command("/decisions", "log We do <!here> X review:14d door:one-way").json()
        assert "Logged *D-1*" in ok["text"]
        posted = bot.slack.wait_for("chat.postMessage")[0]
        assert posted.params["channel"] == "C0GENERAL"
        assert "We do @here X" in posted.params["text"] and "one-way" in posted.params["text"]
        assert "<!here>" not in posted.params["text"]
    with session_scope(bot.core.engine) as session:
        [decision] = session.exec(select(Decision)).all()
    assert decision.door == "one-way" and decision.source == "log" and decision.status == "active"
    assert decision.review_on - decision.created_at == timedelta(days=14)


def test_log_with_replaces_supersedes_the_older_decision(bot: RunningBot) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True):
        first = bot.client.command("/decisions", "log Ship weekly").json()
        assert "Logged *D-1*" in first["text"]
        # Superseding asks Slack who may act, so its answer comes after the acknowledgement.
        answers = {}
        for name, text in (("second", "Ship daily"), ("again", "Ship hourly")):
            reply = bot.client.command(
                "/decisions",
                f"log {text} replaces:D-1",
                response_url=bot.slack.response_url(name),
            )
            assert reply.status == 200 and not reply.body
            (answers[name],) = bot.slack.wait_for(
                "response_url", predicate=lambda c, name=name: c.params["_id"] == name
            )
        second, again = answers["second"], answers["again"]
        assert "Logged *D-2*" in second.params["text"]
        assert "D-1 is superseded" in again.params["text"]
        assert "/decisions log" in again.params["text"]
    with session_scope(bot.core.engine) as session:
        rows = {d.number: d for d in session.exec(select(Decision)).all()}
    assert set(rows) == {1, 2}
    assert rows[1].status == "superseded" and rows[1].replaced_by_id == rows[2].id
    assert rows[2].replaces_id == rows[1].id and rows[2].proposal == "Ship daily"


def test_stats(bot: RunningBot) -> None:
    engine = bot.core.engine
    with freeze_time("2026-12-10 10:00:00", tick=True):
        first = add_decision(engine, confidence=40)
        add_vote(engine, first, "U0DAN", "disagree", "no")
        add_decision(engine, confidence=80, status="reversed")
        url = bot.slack.response_url("s")
        bot.client.command("/decisions", "stats", response_url=url)
        bot.slack.wait_for("response_url")
    text = _text(_responses(bot, "s")[0])
    assert "Decisions (last 30 days):* 2" in text
    assert "Median confidence:* 60%" in text
    assert "With recorded dissent:* 50%" in text
    assert "Reversed or amended:* 50%" in text


def test_export_private_channel_only_for_members(bot: RunningBot) -> None:
    clear_cache()
    engine = bot.core.engine
    add_decision(engine, text="public one")
    add_decision(engine, text="secret one", channel_id="G0SECRET")
    add_decision(engine, team_id="T0OTHER", text="other workspace")
    bot.slack.private_channels.add("G0SECRET")
    bot.slack.channel_members["G0SECRET"] = ["U0MEMBER"]
    bot.slack.channel_names["G0SECRET"] = "secret"

    delivered: set[str] = set()

    def export(user: str, text: str = "export all", count: int = 1) -> list[str]:
        reply = bot.client.command("/decisions", text, user_id=user).json()
        assert "Preparing" in reply["text"]

        def new_for_user(call: Call) -> bool:
            return (
                call.params.get("channel_id") == f"D{user}"
                and _json(call.params["files"])[0]["id"] not in delivered
            )

        [done] = bot.slack.wait_for(
            "files.completeUploadExternal", predicate=new_for_user, timeout=20
        )
        assert len(bot.slack.calls("files.completeUploadExternal")) == count
        file_id = _json(done.params["files"])[0]["id"]
        delivered.add(file_id)
        wb = load_workbook(io.BytesIO(bot.slack.uploads[file_id]))
        return [r[1] for r in wb["Decisions"].iter_rows(min_row=2, values_only=True)]

    assert export("U0OUTSIDER") == ["public one"]
    assert export("U0MEMBER", count=2) == ["public one", "secret one"]
    assert export("U0MEMBER", "export <#G0SECRET|secret>", count=3) == ["secret one"]
    # Refused at once, in the words used for a channel that does not exist (nothing says that
    # it is private): no export is made.
    refused = bot.client.command(
        "/decisions", "export <#G0SECRET|secret>", user_id="U0OUTSIDER"
    ).json()
    assert refused["text"] == "No decisions were made in that channel."
    assert len(bot.slack.calls("files.completeUploadExternal")) == 3
    assert export("U0MEMBER", "export #secret since:2026-11-01", count=4) == ["secret one"]
    unknown = bot.client.command("/decisions", "export #nowhere").json()
    assert "No decisions were made in `#nowhere`" in unknown["text"]
    bad = bot.client.command("/decisions", "export status:nope").json()
    assert "status must be" in bad["text"]


def test_export_words_are_the_cores_with_slack_channel_mentions_and_escaped_errors() -> None:
    from handlers.slack.commands.decisions import parse_export_args

    channel, everything, since, statuses = parse_export_args(
        "<#C0PRICING|pricing> since:2026-01-31 status:active"
    )
    assert (channel, everything, statuses) == ("C0PRICING", False, ("active",))
    assert since is not None and since.isoformat() == "2026-01-31T00:00:00+00:00"
    try:
        parse_export_args("<b>&")
    except ValueError as exc:
        assert "&lt;b&gt;&amp;" in str(exc) and "<b>" not in str(exc)
    else:
        raise AssertionError("an unknown word is refused")
