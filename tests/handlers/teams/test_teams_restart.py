"""Conversation references survive a restart: a timer that fires after it still reaches the
tenant and the person (their chat, name and time zone come from the database)."""

from __future__ import annotations

from freezegun import freeze_time

from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import BOT, CHANNEL, TENANT, TeamsDouble, mention_message


def test_a_reminder_after_a_restart_reaches_the_owner(teams: TeamsDouble, sqlite_url: str) -> None:
    with freeze_time("2026-12-01 09:00:00", tick=True) as clock:
        first = TeamsBotRunning(teams, sqlite_url)
        try:
            status, _ = first.send(mention_message(teams, "decide We launch closes:2h"))
            assert status == 202 and teams.posts(CHANNEL)
        finally:
            first.stop()
        again = TeamsBotRunning(teams, sqlite_url)
        try:
            platform = again.teams.platform
            assert platform.timezone(TENANT, "29:ana") == "Europe/Berlin"
            assert platform.display_name(TENANT, "29:ana") == "Ana"
            clock.move_to("2026-12-01 11:00:01")
            assert again.core.timers.run_due() == 1
            (reminder,) = teams.posts(teams.chat_of("29:ana"))
            assert "Voting time for **D-1**" in reminder.card_text
            # The 1:1 chat was opened after the restart, from the stored tenant reference.
            (opened,) = [c for c in teams.calls if c.path == "/v3/conversations"]
            assert opened.body is not None and opened.body["bot"] == {"id": BOT}
        finally:
            again.stop()


def test_a_redelivery_after_a_restart_is_still_handled_once(
    teams: TeamsDouble, sqlite_url: str
) -> None:
    message = mention_message(teams, "decide We launch in March")
    first = TeamsBotRunning(teams, sqlite_url)
    try:
        assert first.send(message)[0] == 202
    finally:
        first.stop()
    again = TeamsBotRunning(teams, sqlite_url)
    try:
        assert again.send(message)[0] == 202
    finally:
        again.stop()
    assert len(teams.posts(CHANNEL)) == 1
