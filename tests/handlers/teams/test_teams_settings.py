"""Teams' settings: the SDK's names, anonymous mode only on loopback, every problem named;
`narrative-bot run --teams` serving Teams alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import (
    TEAMS_CLIENT_ID,
    TEAMS_CLIENT_SECRET,
    TEAMS_TENANT_ID,
    ConfigError,
    load_settings,
)
from tests.process import BotProcess, run_cli
from tests.teams_double import TeamsDouble, mention_message

TEAMS_APP = 'README.md, section "Create the Teams app"'
CREDENTIALS = {
    TEAMS_CLIENT_ID: "00000000-0000-0000-0000-000000000001",
    TEAMS_CLIENT_SECRET: "a-real-looking-secret",
    TEAMS_TENANT_ID: "00000000-0000-0000-0000-000000000002",
}


def problems(env: dict[str, str], **kw: object) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(env, **kw)  # type: ignore[arg-type]
    return str(raised.value)


def test_the_app_credentials_serve_teams_alone() -> None:
    settings = load_settings(dict(CREDENTIALS))
    assert settings.teams is not None and not settings.teams.anonymous
    assert settings.teams.client_id == CREDENTIALS[TEAMS_CLIENT_ID]
    assert settings.slack is False and settings.host == "0.0.0.0"


def test_a_missing_credential_is_named() -> None:
    said = problems({TEAMS_CLIENT_ID: CREDENTIALS[TEAMS_CLIENT_ID]})
    assert TEAMS_CLIENT_SECRET in said and TEAMS_TENANT_ID in said and TEAMS_APP in said
    assert TEAMS_CLIENT_ID + " is not set" not in said


def test_anonymous_mode_is_refused_unless_listening_on_loopback() -> None:
    said = problems({"TEAMS_ANONYMOUS": "true"})
    assert "HOST is '0.0.0.0'" in said and "--host 127.0.0.1" in said
    assert "HOST is '10.0.0.5'" in problems({"TEAMS_ANONYMOUS": "true", "HOST": "10.0.0.5"})
    settings = load_settings({"TEAMS_ANONYMOUS": "true"}, host="127.0.0.1")
    assert settings.teams is not None and settings.teams.anonymous
    assert load_settings({"TEAMS_ANONYMOUS": "true", "HOST": "127.0.0.1"}).host == "127.0.0.1"


def test_anonymous_mode_with_a_client_id_is_refused() -> None:
    said = problems({"TEAMS_ANONYMOUS": "true", "HOST": "127.0.0.1", **CREDENTIALS})
    assert "TEAMS_ANONYMOUS=true" in said and TEAMS_CLIENT_ID in said


def test_nothing_configured_names_both_platforms_settings() -> None:
    said = problems({})
    assert "Nothing to serve" in said
    assert "SLACK_BOT_TOKEN" in said and TEAMS_CLIENT_ID in said and "TEAMS_ANONYMOUS" in said


def test_only_restricts_to_one_platform() -> None:
    env = {
        "TEAMS_ANONYMOUS": "true",
        "HOST": "127.0.0.1",
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "0123456789abcdef",
    }
    both = load_settings(env)
    assert both.slack and both.teams is not None
    teams_only = load_settings(env, only="teams")
    assert not teams_only.slack and teams_only.teams is not None
    slack_only = load_settings(env, only="slack")
    assert slack_only.slack and slack_only.teams is None
    assert "SLACK_BOT_TOKEN" in problems(
        {"TEAMS_ANONYMOUS": "true", "HOST": "127.0.0.1"}, only="slack"
    )


def test_run_teams_serves_api_messages_alone(tmp_path: Path, sqlite_url: str) -> None:
    double = TeamsDouble()
    double.start()
    env = {"TEAMS_ANONYMOUS": "true", "DATABASE_URL": sqlite_url, "LOG_LEVEL": "INFO"}
    bot = BotProcess(
        cwd=tmp_path,
        env=env,
        signing_secret="unused",
        argv=["-m", "handlers", "run", "--teams", "--host", "127.0.0.1", "--port", "{port}"],
    )
    try:
        bot.start().wait_ready()
        status, body = double.send(
            f"{bot.base_url}/api/messages", mention_message(double, "decide We launch in March")
        )
        assert status == 202
        assert "D-1 — proposal" in double.posts("19:general@thread.tacv2")[0].card_text
        health = bot.healthz()
        assert health is not None and json.loads(health[1])["ok"] is True
    finally:
        code = bot.stop()
        double.stop()
    assert code == 0, bot.output
    assert "Traceback" not in bot.output


def test_run_refuses_anonymous_teams_on_a_public_address(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(
        ["run", "--teams"],
        cwd=tmp_path,
        env={"TEAMS_ANONYMOUS": "true", "DATABASE_URL": sqlite_url},
    )
    assert result.returncode == 2
    assert "loopback" in result.stderr and "Traceback" not in result.stderr
