"""The real HTTP app: signed requests in, Slack-like answers out."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.conftest import RunningBot
from tests.signed import FORM


def test_narrative_help_answers_privately_with_usage(bot: RunningBot) -> None:
    started = time.monotonic()
    reply = bot.client.command("/narrative", "help")
    elapsed = time.monotonic() - started
    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    assert "/narrative [DURATION]" in body["text"]
    assert elapsed < 3.0, "Slack gives three seconds to acknowledge"


def test_every_command_answers_help(bot: RunningBot) -> None:
    for command in ("/narrative", "/decide", "/decisions", "/reflect"):
        reply = bot.client.command(command, "help")
        assert reply.status == 200, command
        assert command in reply.json()["text"], command


def test_healthz_reports_database(bot: RunningBot) -> None:
    port = bot.server.port
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {
            "ok": True,
            "database": "up",
            "work_queue": {"depth": 0, "limit": 1000},
        }


def _command_body() -> str:
    return "command=%2Fdecide&text=We+launch&team_id=T0TEST&user_id=U0ALICE&channel_id=C1"


def test_bad_signature_is_refused_and_changes_nothing(bot: RunningBot) -> None:
    body = _command_body()
    reply = bot.client.raw(body, FORM, signature="v0=" + "0" * 64)
    assert reply.status == 401
    assert bot.slack.calls() == []


def test_old_timestamp_is_refused(bot: RunningBot) -> None:
    body = _command_body()
    old = int(time.time()) - 600
    reply = bot.client.raw(body, FORM, timestamp=old, signature=bot.client.sign(body, old))
    assert reply.status == 401
    assert bot.slack.calls() == []


def test_missing_headers_and_tampered_body_are_refused(bot: RunningBot) -> None:
    body = _command_body()
    reply = bot.client.raw(body, FORM, omit=("X-Slack-Signature", "X-Slack-Request-Timestamp"))
    assert reply.status == 401
    tampered = bot.client.tampered(body, body.replace("We+launch", "We+cancel"), FORM)
    assert tampered.status == 401
    assert bot.slack.calls() == []
