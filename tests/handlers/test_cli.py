"""The `narrative-bot` command line, run for real (`python -m handlers`) in a child process."""

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
        assert (status, json.loads(body)) == (
            200,
            {"ok": True, "database": "up", "work_queue": {"depth": 0, "limit": 1000}},
        )

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


# ---------------------------------------------------------------- from install to first meeting

REPO = Path(__file__).resolve().parents[2]


def _without_slack_settings(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if not k.startswith("SLACK_") or k == "SLACK_API_URL"}


def test_the_placeholders_of_env_example_are_refused_by_name(
    tmp_path: Path, env: dict[str, str], slack: SlackDouble
) -> None:
    """A `.env` copied from `.env.example` and not filled in is refused, naming each setting
    still holding its example value (a placeholder signing secret would make every request a
    silent 401)."""
    (tmp_path / ".env").write_text((REPO / ".env.example").read_text())
    bare = _without_slack_settings(env)
    result = run_cli(["check"], cwd=tmp_path, env=bare)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SLACK_BOT_TOKEN" in result.stderr and "example" in result.stderr
    assert "SLACK_APP_TOKEN" in result.stderr
    assert not slack.calls(), "nothing is sent to Slack with a placeholder token"

    # The signing secret's placeholder too (HTTP mode, where it is required).
    bare.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET="your-signing-secret")
    result = run_cli(["run", "--http"], cwd=tmp_path, env=bare)
    assert result.returncode != 0
    assert "SLACK_SIGNING_SECRET" in result.stderr and "example" in result.stderr


def test_every_missing_or_malformed_setting_is_reported_at_once(
    tmp_path: Path, env: dict[str, str]
) -> None:
    del env["SLACK_BOT_TOKEN"], env["SLACK_SIGNING_SECRET"]
    env.update(
        PORT="eighty",
        LOG_LEVEL="LOUD",
        DATABASE_URL="mysql://u@127.0.0.1/n",
        LOG_FORMAT="xml",
        WORK_QUEUE_LIMIT="0",
    )
    result = run_cli(["run", "--http"], cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("narrative-bot: ")]
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "PORT",
        "LOG_LEVEL",
        "DATABASE_URL",
        "LOG_FORMAT",
        "WORK_QUEUE_LIMIT",
    ):
        assert any(name in line for line in lines), (name, result.stderr)


def test_migrate_needs_only_the_database(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(["migrate"], cwd=tmp_path, env={"DATABASE_URL": sqlite_url})
    assert result.returncode == 0, result.stderr
    assert "Database is up to date." in result.stdout
    assert Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_check_says_when_it_created_a_new_database(tmp_path: Path, env: dict[str, str]) -> None:
    del env["DATABASE_URL"]  # the default: narrative.db in the working folder
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "narrative.db").exists()
    assert "created a new, empty database" in result.stdout
    assert str(tmp_path / "narrative.db") in result.stdout

    again = run_cli(["check"], cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr
    assert "created" not in again.stdout


def test_export_refuses_a_database_that_does_not_exist(tmp_path: Path) -> None:
    result = run_cli(["export", "--out", "log.xlsx"], cwd=tmp_path, env={})
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "no database", "DATABASE_URL")
    assert not (tmp_path / "narrative.db").exists()
    assert not (tmp_path / "log.xlsx").exists()


def test_an_api_url_that_answers_html_is_not_called_a_refused_token(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    class Html(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = b"<html><body>Sign in to your proxy</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Html)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        env["SLACK_API_URL"] = f"http://127.0.0.1:{server.server_address[1]}/api/"
        result = run_cli(["check"], cwd=tmp_path, env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode != 0
    assert "refused SLACK_BOT_TOKEN" not in result.stderr
    assert_one_paragraph(result.stderr, "SLACK_API_URL", "not Slack's Web API")


def test_a_missing_sqlite_folder_is_named_not_blamed_on_a_server(
    tmp_path: Path, env: dict[str, str]
) -> None:
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/no/such/folder/narrative.db"
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert "server is running" not in result.stderr
    assert_one_paragraph(
        result.stderr, "DATABASE_URL", f"{tmp_path}/no/such/folder", "does not exist"
    )


def test_check_in_socket_mode_opens_a_socket_mode_connection(
    tmp_path: Path, env: dict[str, str], slack: SlackDouble
) -> None:
    env["SLACK_APP_TOKEN"] = "xapp-1-test-app-token"
    del env["SLACK_SIGNING_SECRET"]
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert [c.method for c in slack.calls()] == ["auth.test", "apps.connections.open"]
    assert "socket mode            ok" in result.stdout
    assert "xapp-1-test-app-token" not in result.stdout + result.stderr


def test_check_in_socket_mode_with_a_refused_app_token_says_so(
    tmp_path: Path, env: dict[str, str], slack: SlackDouble
) -> None:
    slack.invalid_tokens.add("xapp-1-revoked")
    env["SLACK_APP_TOKEN"] = "xapp-1-revoked"
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert_one_paragraph(result.stderr, "SLACK_APP_TOKEN", "invalid_auth", "connections:write")


def test_check_in_http_mode_says_what_it_can_and_cannot_verify(
    tmp_path: Path, env: dict[str, str]
) -> None:
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "http mode" in result.stdout
    assert "/slack/events" in result.stdout and "Request URL" in result.stdout


def test_a_normal_start_prints_a_few_lines_a_person_reads(
    tmp_path: Path, env: dict[str, str]
) -> None:
    bot = BotProcess(cwd=tmp_path, env=env)
    try:
        bot.start().wait_ready()
    finally:
        assert bot.stop() == 0
    lines = [line for line in bot.output.splitlines() if line.strip()]
    text = "\n".join(lines)
    assert "alembic" not in text and "setup plugin" not in text, text
    assert "token` will be unused" not in text and "WARNING" not in text, text
    assert len(lines) <= 6, text
    assert "HTTP mode" in text
    assert f":{bot.port}/slack/events" in text
    assert "database sqlite:///" in text
    assert "workspace Narrative Test (T0TEST)" in text


def test_json_logs_are_one_object_a_line_and_redacted(tmp_path: Path, env: dict[str, str]) -> None:
    env["LOG_FORMAT"] = "json"
    bot = BotProcess(cwd=tmp_path, env=env)
    try:
        bot.start().wait_ready()
    finally:
        assert bot.stop() == 0
    records = [json.loads(line) for line in bot.output.splitlines() if line.strip()]
    assert records, bot.output
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record), record
    assert any("workspace Narrative Test" in r["message"] for r in records)
    assert BOT_TOKEN not in bot.output and SIGNING_SECRET not in bot.output
