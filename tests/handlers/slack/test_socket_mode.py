"""Socket Mode end to end: the real `narrative-bot run --socket` in a child process connects out
to the Slack double's websocket (via apps.connections.open) and answers envelopes over it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError

from tests.conftest import BOT_TOKEN, bot_env
from tests.process import BotProcess
from tests.slack_double import Call, SlackDouble

# Built at run time so that no token-shaped literal sits in the repository.
APP_TOKEN = "xapp-" + "1-A0NARR-1-test-app-token"
SOCKET_ARGV = ("-m", "handlers", "run", "--socket")


def acked(envelope_id: str):  # type: ignore[no-untyped-def]
    return lambda call: call.params.get("envelope_id") == envelope_id


def slash_command(slack: SlackDouble, envelope_id: str, text: str) -> dict[str, Any]:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "token": "verification-token",
            "team_id": "T0TEST",
            "team_domain": "narrative-test",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": "/narrative",
            "text": text,
            "api_app_id": "A0NARR",
            "is_enterprise_install": "false",
            "response_url": slack.response_url(),
            "trigger_id": "t",
        },
    }


def message_event(envelope_id: str, event_id: str, text: str) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {
        "envelope_id": envelope_id,
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "retry_reason": "",
        "payload": {
            "token": "verification-token",
            "team_id": "T0TEST",
            "api_app_id": "A0NARR",
            "event": {
                "type": "message",
                "channel": "C0GENERAL",
                "channel_type": "channel",
                "user": "U0ALICE",
                "text": text,
                "ts": ts,
                "event_ts": ts,
                "team": "T0TEST",
            },
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": "T0TEST",
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        },
    }


def wait_connected(slack: SlackDouble, bot: BotProcess, timeout: float = 30) -> None:
    """Wait for the websocket handshake; fail with the child's output if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        assert bot.process is not None
        if bot.process.poll() is not None:
            raise AssertionError(f"bot exited with {bot.process.returncode}:\n{bot.output}")
        try:
            slack.wait_socket_connected(timeout=0.2)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"bot never connected:\n{bot.output}") from None


def test_run_socket_answers_a_slash_command_and_acks_events_over_the_websocket(
    tmp_path: Path, slack: SlackDouble, sqlite_url: str
) -> None:
    env = bot_env(slack, sqlite_url, SLACK_APP_TOKEN=APP_TOKEN)
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
    bot = BotProcess(cwd=tmp_path, env=env, signing_secret="unused", argv=SOCKET_ARGV)
    try:
        bot.start()
        wait_connected(slack, bot)
        opened = slack.last("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
        assert slack.calls("auth.test"), "run checks the bot token first"

        slack.socket_send(slash_command(slack, "e1", "help"))
        [ack] = slack.wait_for("socket_ack", predicate=acked("e1"), timeout=20)
        reply = ack.params["payload"]
        assert reply["response_type"] == "ephemeral", ack.params
        assert "/narrative [DURATION]" in reply["text"], ack.params

        slack.socket_send(message_event("e2", "Ev0SOCKET1", "hello over the socket"))
        [ack] = slack.wait_for("socket_ack", predicate=acked("e2"), timeout=20)
        assert ack.params == {"envelope_id": "e2"}, "events are acked without a payload"

        acks: list[Call] = slack.calls("socket_ack")
        assert sorted(c.params["envelope_id"] for c in acks) == ["e1", "e2"], "one ack each"
    finally:
        code = bot.stop(timeout=15)
    assert code == 0, f"SIGTERM should stop the bot cleanly:\n{bot.output}"
    assert "Traceback" not in bot.output, bot.output
    for secret in (BOT_TOKEN, APP_TOKEN):
        assert secret not in bot.output


def test_the_double_speaks_websocket_to_slack_sdks_own_client(slack: SlackDouble) -> None:
    """The double itself, against slack_sdk's builtin client in-process: hello, pings, acks."""
    from slack_sdk import WebClient
    from slack_sdk.socket_mode.builtin import SocketModeClient
    from slack_sdk.socket_mode.response import SocketModeResponse

    received: list[dict[str, Any]] = []
    client = SocketModeClient(
        app_token=APP_TOKEN,
        web_client=WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        auto_reconnect_enabled=False,
    )
    client.message_listeners.append(lambda _client, message, _raw: received.append(message))
    try:
        client.connect()
        slack.wait_socket_connected(timeout=10)
        slack.socket_send({"envelope_id": "e9", "type": "slash_commands", "payload": {}})
        deadline = time.monotonic() + 10
        session = client.current_session
        assert session is not None
        while (
            [m.get("type") for m in received] != ["hello", "slash_commands"]
            or session.last_ping_pong_time is None  # the pong to the ping sent on connecting
        ):
            assert time.monotonic() < deadline, (received, session.last_ping_pong_time)
            time.sleep(0.01)
        client.send_socket_mode_response(SocketModeResponse(envelope_id="e9", payload={"x": 1}))
        [ack] = slack.wait_for("socket_ack", predicate=acked("e9"))
        assert ack.params == {"envelope_id": "e9", "payload": {"x": 1}}
    finally:
        client.close()
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=BOT_TOKEN, base_url=slack.api_url).apps_connections_open(
            app_token=BOT_TOKEN
        )
    assert refused.value.response["error"] == "not_allowed_token_type", "only xapp- tokens"
