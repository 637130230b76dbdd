"""The `narrative-bot` command line, run for real (`python -m bot`) in a child process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BOT_TOKEN, SIGNING_SECRET, bot_env
from tests.process import BotProcess, run_cli
from tests.slack_double import SlackDouble

SLACK_APP = 'README.md, section "Create the Slack app"'
SETTINGS = 'README.md, section "Settings"'


def assert_one_paragraph(stderr: str, *needles: str) -> None:
    """A message a person can act on: one paragraph (after any log lines), naming what to fix,
    and no traceback."""
    assert "Traceback" not in stderr, stderr
    message = stderr.strip().splitlines()[-1]
    assert message.startswith("narrative-bot: "), stderr
    for needle in needles:
        assert needle in message, (needle, message)


@pytest.fixture
def env(slack: SlackDouble, sqlite_url: str) -> dict[str, str]:
    return bot_env(slack, sqlite_url)


def test_run_without_a_bot_token_explains_what_to_set(tmp_path: Path, env: dict[str, str]) -> None:
    del env["SLACK_BOT_TOKEN"]
    result = run_cli(["run"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "SLACK_BOT_TOKEN", "xoxb-", SLACK_APP)


def test_a_token_of_the_wrong_kind_is_named_but_not_printed(
    tmp_path: Path, env: dict[str, str]
) -> None:
    # Built at run time so that no token-shaped literal sits in the repository.
    env["SLACK_BOT_TOKEN"] = "xoxp-" + "1111-2222-user-token-secret"
    result = run_cli(["run"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "SLACK_BOT_TOKEN", "'xoxp'", SLACK_APP)
    assert "user-token-secret" not in result.stderr + result.stdout


def test_http_mode_without_signing_secret_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    del env["SLACK_SIGNING_SECRET"]
    result = run_cli(["run", "--http"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "SLACK_SIGNING_SECRET", SLACK_APP)


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("not a database url", "DATABASE_URL is not a database URL"),
        ("mysql://user:pw@127.0.0.1/narrative", "does not support"),
        ("sqlite://", "in-memory"),
        ("sqlite:////nonexistent-dir/for/sure/narrative.db", "Could not open the database"),
        ("postgresql://narrative:pw-s3cret@127.0.0.1:1/narrative", "Could not open the database"),
    ],
)
def test_an_unusable_database_url_is_explained(
    tmp_path: Path, env: dict[str, str], url: str, needle: str
) -> None:
    env["DATABASE_URL"] = url
    result = run_cli(["run", "--http"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "DATABASE_URL" if "open" not in needle else "", needle)
    assert SETTINGS in result.stderr
    assert "pw-s3cret" not in result.stderr + result.stdout


def test_check_against_slack_succeeds_without_printing_secrets(
    tmp_path: Path, env: dict[str, str], slack: SlackDouble
) -> None:
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "database               ok" in result.stdout
    assert "slack                  ok: Narrative Test as narrative" in result.stdout
    assert "SLACK_BOT_TOKEN        xoxb-…" in result.stdout
    for secret in (BOT_TOKEN, SIGNING_SECRET):
        assert secret not in result.stdout + result.stderr
    assert [c.method for c in slack.calls()] == ["auth.test"]


def test_check_with_a_token_slack_refuses_fails_clearly(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env["SLACK_BOT_TOKEN"] = "xoxb-invalid"
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "Slack refused SLACK_BOT_TOKEN (invalid_auth)", SLACK_APP)


def test_settings_are_read_from_dotenv_in_the_working_directory(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Settings come from `.env` in the working directory when the environment has none."""
    (tmp_path / ".env").write_text(f"SLACK_BOT_TOKEN={env.pop('SLACK_BOT_TOKEN')}\n")
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr


def test_run_serves_signed_commands_and_health_over_http(
    tmp_path: Path, env: dict[str, str], slack: SlackDouble
) -> None:
    bot = BotProcess(cwd=tmp_path, env=env)
    try:
        bot.start().wait_ready()
        status, body = bot.healthz() or (0, b"")
        assert (status, json.loads(body)) == (200, {"ok": True, "database": "up"})

        reply = bot.client.command("/narrative", "help")
        assert reply.status == 200
        assert reply.json()["response_type"] == "ephemeral"
        assert "/narrative [DURATION]" in reply.json()["text"]
        assert (
            bot.client.raw(
                "command=%2Fnarrative",
                "application/x-www-form-urlencoded",
                signature="v0=" + "0" * 64,
            ).status
            == 401
        )
        assert slack.calls("auth.test"), "run checks the token first"
    finally:
        code = bot.stop()
    assert code == 0, f"SIGTERM should stop the bot cleanly:\n{bot.output}"
    assert BOT_TOKEN not in bot.output and SIGNING_SECRET not in bot.output
    assert "Traceback" not in bot.output
