"""Teams' channel names: learnt from the connector's channel list (asked once per team, after
the answer), from channel events and from group chats' own names, and shown in the export's
Channel column as Slack's are (`#name`)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from openpyxl import load_workbook

from bot.names import known_names, name_book
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import (
    CHANNEL,
    TENANT,
    TeamsDouble,
    activity,
    bot_installed,
    channel_event,
    file_consent,
    in_team,
    mention_message,
)

LAUNCHES = "19:launches@thread.tacv2"
OTHER_TEAM = "19:other-general@thread.tacv2"
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"


@pytest.fixture
def running(teams: TeamsDouble, any_db_url: str, tmp_path: Path) -> Iterator[TeamsBotRunning]:
    teams.channels[CHANNEL] = [{"id": CHANNEL}, {"id": LAUNCHES, "name": "Launches"}]
    teams.members[LAUNCHES] = [{"id": "29:ana", "name": "Ana"}]  # she may export it
    bot = TeamsBotRunning(teams, any_db_url, files_dir=tmp_path / "offers")
    yield bot
    bot.stop()


def said_in(bot: TeamsBotRunning, text: str, channel: str = CHANNEL, **kw: Any) -> None:
    """`@Narrative <text>` in `channel` of the team, as Teams sends it (with channelData)."""
    made = mention_message(bot.double, text, conversation=channel, **kw)
    made["channelData"] = in_team(channel=channel)
    assert bot.send(made)[0] == 202
    bot.wait_idle()


def exported_channels(bot: TeamsBotRunning) -> list[object]:
    """Export the decision log through Teams (file consent accepted); its Channel column."""
    double = bot.double

    def consent_cards() -> list[dict[str, Any]]:
        return [
            a
            for c in double.posts(double.chat_of("29:ana"))
            for a in (c.body or {}).get("attachments") or []
            if a.get("contentType") == FILE_CONSENT
        ]

    before = len(consent_cards())
    assert bot.send(mention_message(double, "decisions export all"))[0] == 202
    card = double.wait_for(lambda: consent_cards()[before:])[0]
    accept = file_consent(double, "accept", card["content"]["acceptContext"], name=card["name"])
    assert bot.send(accept)[0] == 200
    double.wait_for(lambda: card["name"] in double.uploads)
    rows = list(load_workbook(io.BytesIO(double.uploads.pop(card["name"])))["Decisions"].rows)
    column = [cell.value for cell in rows[0]].index("Channel")
    return sorted(str(row[column].value) for row in rows[1:])


def channel_names(bot: TeamsBotRunning) -> dict[str, str]:
    name_book(bot.core).settle()
    return known_names(bot.core.engine, team_id=TENANT)[1]


def test_the_export_names_channels_from_the_teams_channel_list(running: TeamsBotRunning) -> None:
    said_in(running, "decisions log We ship daily", LAUNCHES)
    said_in(running, "decisions log We hire in March")

    assert exported_channels(running) == ["#General", "#Launches"]
    assert len(running.double.channel_lists(CHANNEL)) == 1


def test_a_renamed_channel_is_exported_under_its_new_name(running: TeamsBotRunning) -> None:
    said_in(running, "decisions log We ship daily", LAUNCHES)
    renamed = channel_event(running.double, "channelRenamed", LAUNCHES, "Shipping")
    assert running.send(renamed)[0] == 202
    running.wait_idle()

    assert exported_channels(running) == ["#Shipping"]


def test_a_new_channel_and_a_named_group_chat_are_named(running: TeamsBotRunning) -> None:
    double = running.double
    created = channel_event(double, "channelCreated", "19:new@thread.tacv2", "Roadmap")
    assert running.send(created)[0] == 202
    chat = activity(
        double,
        "message",
        text="hello",
        conversation="19:chat@thread.v2",
        conversation_type="groupChat",
    )
    chat["conversation"]["name"] = "Pricing crew"
    assert running.send(chat)[0] == 202
    unnamed = activity(
        double,
        "message",
        text="hi",
        conversation="19:plain@thread.v2",
        conversation_type="groupChat",
    )
    assert running.send(unnamed)[0] == 202
    running.wait_idle()

    names = channel_names(running)
    assert names["19:new@thread.tacv2"] == "Roadmap"
    assert names["19:chat@thread.v2"] == "Pricing crew"
    assert "19:plain@thread.v2" not in names  # Teams gave no name: the id stays


def test_the_connector_is_asked_once_per_team_not_per_activity(running: TeamsBotRunning) -> None:
    double = running.double
    double.channels[OTHER_TEAM] = []  # a list naming nothing: still asked only once
    assert running.send(bot_installed(double, name="Marketing"))[0] == 202
    running.wait_idle()
    for text in ("hello", "again", "and again"):
        said_in(running, text, LAUNCHES)
    for text in ("hi", "hi again"):
        other = activity(double, "message", text=text, conversation=OTHER_TEAM)
        other["channelData"] = in_team(OTHER_TEAM)
        assert running.send(other)[0] == 202
        running.wait_idle()

    assert len(double.channel_lists(CHANNEL)) == 1
    assert len(double.channel_lists(OTHER_TEAM)) == 1
    assert channel_names(running) == {CHANNEL: "General", LAUNCHES: "Launches"}


def test_a_failing_channel_list_changes_nothing_is_logged_and_is_asked_again_later(
    running: TeamsBotRunning, caplog: pytest.LogCaptureFixture
) -> None:
    double = running.double
    double.fail("GET", "/v3/teams/", 500)
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        with caplog.at_level(logging.WARNING, logger="handlers.teams.places"):
            said_in(running, "hello", LAUNCHES)
            said_in(running, "again", LAUNCHES)
        assert len(double.channel_lists(CHANNEL)) == 1
        assert channel_names(running) == {}
        assert any(
            "could not list the channels of team" in r.getMessage() and CHANNEL in r.getMessage()
            for r in caplog.records
        )
        clock.tick(16 * 60)
        said_in(running, "later", LAUNCHES)

    assert len(double.channel_lists(CHANNEL)) == 2
    assert channel_names(running)[LAUNCHES] == "Launches"
