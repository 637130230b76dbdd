"""`/narrative TEXT` as Slack sends it: mentions, links and a reading time (the Slack edge
parses them; the core receives ids and plain text)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.meetings import NarrativeInputError
from handlers.slack.commands.narrative import parse_narrative_text


def test_parse_full_command() -> None:
    parsed = parse_narrative_text(
        "20m <@U1|ana> <@U2> Q3 pricing six-pager <https://docs.example.com/q3>"
    )
    assert parsed.reading == timedelta(minutes=20)
    assert parsed.readers == ("U1", "U2")
    assert parsed.title == "Q3 pricing six-pager"
    assert parsed.link == "https://docs.example.com/q3"


@pytest.mark.parametrize(
    ("text", "reading"),
    [
        ("Title", timedelta(minutes=20)),
        ("1h Title", timedelta(hours=1)),
        ("1h30m Title", timedelta(minutes=90)),
        ("90s Title", timedelta(seconds=90)),
        ("4h Title", timedelta(hours=4)),
        ("1m Title", timedelta(minutes=1)),
        ("25min Title", timedelta(minutes=25)),
        ("20 min Title", timedelta(minutes=20)),
        ("3 ideas for Q3", timedelta(minutes=20)),
        ("2FA rollout", timedelta(minutes=20)),
        ("5G plan", timedelta(minutes=20)),
        ("90 minutes Title", timedelta(minutes=90)),
    ],
)
def test_parse_reading_times(text: str, reading: timedelta) -> None:
    assert parse_narrative_text(text).reading == reading


@pytest.mark.parametrize("text", ["4h1m T", "59s T", "0m T", "1.5h T", "5 hours T", "2d T"])
def test_bad_reading_times_are_refused(text: str) -> None:
    with pytest.raises(NarrativeInputError):
        parse_narrative_text(text)


def test_link_only_and_bare_link() -> None:
    parsed = parse_narrative_text("https://docs.example.com/a?b=1 <@U9>")
    assert parsed.link == "https://docs.example.com/a?b=1"
    assert parsed.title == parsed.link
    assert parsed.readers == ("U9",)
    with pytest.raises(NarrativeInputError):
        parse_narrative_text("<@U1> <@U2>")
