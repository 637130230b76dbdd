"""The Home tab: metrics, filters, pages, full records and the export button."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from freezegun import freeze_time

from handlers.slack.directory import clear_cache
from tests.conftest import RunningBot
from tests.log_helpers import START, add_decision, add_vote

USER = "U0ALICE"


def _json(value: object) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _home(bot: RunningBot) -> dict[str, Any]:
    return bot.slack.home_tabs[USER]


def _labels(bot: RunningBot) -> list[str]:
    labels = []
    for block in _home(bot)["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == "home_open_record":
            labels.append(block["text"]["text"].split("*")[1])
    return labels


def _act(bot: RunningBot, action_id: str, count: int, **kwargs: Any) -> None:
    view = {"type": "home", "private_metadata": _home(bot)["private_metadata"]}
    bot.client.block_action(action_id, user_id=USER, view=view, **kwargs)
    bot.slack.wait_for("views.publish", count)


def _open_home(bot: RunningBot) -> None:
    bot.client.event({"type": "app_home_opened", "user": USER, "tab": "home"})
    bot.slack.wait_for("views.publish")


def test_home_lists_filters_and_pages(bot: RunningBot) -> None:
    clear_cache()
    engine = bot.core.engine
    for i in range(20):
        add_decision(engine, text=f"general {i}", created_at=START + timedelta(hours=i))
    sales = add_decision(
        engine,
        text="sales pricing",
        channel_id="C0SALES",
        owner_id="U0BEN",
        created_at=START + timedelta(days=2),
        review_in=timedelta(days=1),
    )
    add_vote(engine, sales, "U0DAN", "disagree", "no")
    add_decision(
        engine, text="halted", status="halted", created_at=START + timedelta(days=2, hours=1)
    )
    add_decision(engine, text="secret", channel_id="G0SECRET", created_at=START + timedelta(days=3))
    add_decision(
        engine, team_id="T0OTHER", text="other workspace", created_at=START + timedelta(days=4)
    )
    bot.slack.private_channels.add("G0SECRET")
    with freeze_time("2026-12-05 10:00:00", tick=True):
        _open_home(bot)
        home = _home(bot)
        assert len(home["blocks"]) <= 100
        text = json.dumps(home["blocks"])
        assert "Decisions (last 30 days)" in text and "Median confidence" in text
        assert "secret" not in text and "other workspace" not in text
        assert _labels(bot) == ["D-22", "D-21"] + [f"D-{n}" for n in range(20, 7, -1)]
        assert "1 dissent" in text and "home_export" in text
        _act(bot, "home_page_next", 2, value=json.dumps({"p": 1}))
        assert _labels(bot) == [f"D-{n}" for n in range(7, 0, -1)]
        _act(
            bot,
            "home_filter_channel",
            3,
            action_type="channels_select",
            action_extra={"selected_channel": "C0SALES"},
        )
        assert _labels(bot) == ["D-21"]
        assert json.loads(_home(bot)["private_metadata"])["p"] == 0
        _act(bot, "home_clear", 4)
        _act(
            bot,
            "home_filter_owner",
            5,
            action_type="users_select",
            action_extra={"selected_user": "U0BEN"},
        )
        assert _labels(bot) == ["D-21"]
        _act(bot, "home_clear", 6)
        _act(
            bot,
            "home_filter_due",
            7,
            action_type="static_select",
            action_extra={"selected_option": {"value": "due"}},
        )
        assert _labels(bot) == ["D-21"]
        _act(
            bot,
            "home_filter_status",
            8,
            action_type="static_select",
            action_extra={"selected_option": {"value": "halted"}},
        )
        assert _labels(bot) == [], "due and halted together: none"
        _act(
            bot,
            "home_filter_due",
            9,
            action_type="static_select",
            action_extra={"selected_option": {"value": "all"}},
        )
        assert _labels(bot) == ["D-22"]
        # The filters survive leaving and reopening the tab.
        bot.client.event(
            {
                "type": "app_home_opened",
                "user": USER,
                "tab": "home",
                "view": {"private_metadata": _home(bot)["private_metadata"]},
            }
        )
        bot.slack.wait_for("views.publish", 10)
        assert _labels(bot) == ["D-22"]


def test_open_record_and_export_from_home(bot: RunningBot) -> None:
    clear_cache()
    engine = bot.core.engine
    first = add_decision(engine, text="the record", confidence=95)
    add_vote(engine, first, "U0DAN", "disagree", "reason <b>")
    other = add_decision(engine, team_id="T0OTHER", text="other workspace")
    with freeze_time("2026-12-05 10:00:00", tick=True):
        _open_home(bot)
        view = {"type": "home", "private_metadata": _home(bot)["private_metadata"]}
        bot.client.block_action("home_open_record", str(first.id), user_id=USER, view=view)
        modal = _json(bot.slack.wait_for("views.open")[0].params["view"])
        text = json.dumps(modal["blocks"])
        assert "the record" in text and "reason &lt;b&gt;" in text and "deciding slowly" in text
        assert len(modal["blocks"]) <= 100
        # An id from another workspace opens nothing.
        bot.client.block_action("home_open_record", str(other.id), user_id=USER, view=view)
        bot.client.block_action("home_export", "export", user_id=USER, view=view)
        done = bot.slack.wait_for("files.completeUploadExternal", timeout=20)
    assert done[0].params["channel_id"] == f"D{USER}"
    assert len(bot.slack.calls("views.open")) == 1
