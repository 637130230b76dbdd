"""The HTTP edge under attack: unverified requests do nothing, oversized and slow requests do
not exhaust the server, replays are acted on once, health checks answer quickly."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import select
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltRequest
from sqlmodel import select as sql_select

from handlers.slack.app import build_app
from handlers.web import MAX_BODY_BYTES, HttpServer
from storage.db import session_scope
from storage.models import Decision
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.signed import FORM, JSON, SignedClient
from tests.slack_double import SlackDouble

FORGED_TEAM = "T0EVIL\n2026-11-26 09:00:00 ERROR narrative: forged line"


def command_body(
    response_url: str,
    *,
    text: str = "log We ship weekly",
    team_id: str = "T0TEST",
    trigger_id: str = "T-trigger-1",
) -> str:
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "team_domain": "narrative-test",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": "U0ALICE",
            "user_name": "alice",
            "command": "/decisions",
            "text": text,
            "api_app_id": "A0NARR",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def healthz(port: int, timeout: float = 5.0) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def read_answer(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """What the server answered on a raw socket (b"" when it answered nothing in time)."""
    sock.settimeout(timeout)
    try:
        return sock.recv(4096)
    except (TimeoutError, ConnectionResetError):
        return b""


def decisions(bot: RunningBot) -> list[str]:
    with session_scope(bot.core.engine) as session:
        return [d.proposal for d in session.exec(sql_select(Decision))]


@pytest.fixture
def relay() -> Iterator[SlackDouble]:
    """Another server on loopback, standing for a host a forger names as response_url."""
    double = SlackDouble()
    double.start()
    yield double
    double.stop()


# --- item 1: nothing unverified is ever acted on ---------------------------------------------


def _utf8_as_header(text: str) -> str:
    # urllib sends header values as Latin-1: this sends the UTF-8 bytes of `text`.
    return text.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "not-a-number"},
        {"X-Slack-Request-Timestamp": "1e9"},
        {"X-Slack-Request-Timestamp": "9" * 5000},
        {"X-Slack-Signature": _utf8_as_header("v0=" + "é" * 64)},
    ],
    ids=["word", "exponent", "huge", "non-ascii-signature"],
)
def test_malformed_signature_headers_are_refused_and_nothing_goes_out(
    bot: RunningBot, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body(bot.slack.response_url("relay"), team_id=FORGED_TEAM)
    with caplog.at_level(logging.INFO):
        reply = bot.client.raw(body, FORM, extra_headers=headers)
    assert reply.status == 401
    # No response_url POST, no chat.postEphemeral: no call of any kind.
    assert bot.slack.calls() == []
    assert "forged line" not in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert decisions(bot) == []


def test_slacks_unsigned_ssl_check_is_still_answered_and_does_nothing(bot: RunningBot) -> None:
    """Slack checks a request URL's certificate with an unsigned request: it gets its 200, and
    nothing else in its body is acted on."""
    body = "ssl_check=1&token=legacy-verification-token&" + command_body(bot.slack.response_url())
    reply = bot.client.raw(body, FORM, omit=("X-Slack-Signature", "X-Slack-Request-Timestamp"))
    assert reply.status == 200
    assert bot.slack.calls() == []
    assert decisions(bot) == []


def test_an_app_given_an_unverifiable_request_directly_refuses_it_and_calls_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The second line of defence, for a server other than ours: Bolt's verification raising
    reaches the error handler, which refuses the request and uses nothing of its body."""
    app = build_app(bot.settings, bot.core)
    body = command_body(bot.slack.response_url("relay"), team_id=FORGED_TEAM)
    headers = {"x-slack-request-timestamp": ["not-a-number"], "x-slack-signature": ["v0=0"]}
    response = app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    assert bot.slack.calls() == []
    assert "forged line" not in caplog.text


@pytest.fixture
def failing_app(bot: RunningBot) -> Iterator[tuple[App, SignedClient]]:
    """The real app plus a `/probe` command that fails, over real HTTP."""
    app = build_app(bot.settings, bot.core)

    @app.command("/probe")
    def probe(ack: Ack) -> None:
        raise RuntimeError("the listener failed")

    server = HttpServer(app, bot.core, host="127.0.0.1", port=0)
    server.start_in_thread()
    yield app, SignedClient(f"http://127.0.0.1:{server.port}/slack/events", SIGNING_SECRET)
    server.close()


def test_an_error_is_never_told_through_a_response_url_outside_slack(
    bot: RunningBot, failing_app: tuple[App, SignedClient], relay: SlackDouble
) -> None:
    _, client = failing_app
    reply = client.command("/probe", response_url=relay.response_url())
    assert reply.status == 200
    # The person still hears about it, privately, through the Web API.
    told = bot.slack.wait_for(
        "chat.postEphemeral", predicate=lambda c: c.params.get("user") == "U0ALICE"
    )
    assert "went wrong" in told[0].params["text"]
    assert relay.calls() == []
    assert bot.slack.calls("response_url") == []
    # Slack's own response_url (here: under SLACK_API_URL's host) is used.
    bot.slack.clear()
    reply = client.command("/probe", response_url=bot.slack.response_url())
    assert reply.status == 200
    told = bot.slack.wait_for("response_url")
    assert "went wrong" in told[0].params["text"]
    assert bot.slack.calls("chat.postEphemeral") == []


# --- item 4: bodies, idle and trickling connections ------------------------------------------


def test_a_body_over_the_limit_is_refused_before_it_is_read(bot: RunningBot) -> None:
    size = 20 * 1024 * 1024
    assert size > MAX_BODY_BYTES
    with socket.create_connection(("127.0.0.1", bot.server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
            + b"{"
        )
        # Answered while nearly all of the 20 MB is still unsent.
        assert read_answer(sock).startswith(b"HTTP/1.1 413")


def test_a_chunked_body_over_the_limit_is_refused(bot: RunningBot) -> None:
    chunk = b"x" * (256 * 1024)
    with socket.create_connection(("127.0.0.1", bot.server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n"
            # Well-formed signature headers: whether they are right is known only once the
            # whole body is read, which never happens.
            + f"X-Slack-Request-Timestamp: {int(time.time())}\r\n".encode()
            + f"X-Slack-Signature: v0={'0' * 64}\r\n\r\n".encode()
        )
        try:
            for _ in range(MAX_BODY_BYTES // len(chunk) + 4):  # a little over the limit
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except OSError:
            pass  # the server may close while we still send
        assert read_answer(sock).startswith(b"HTTP/1.1 413")
    assert bot.slack.calls() == []


def test_idle_and_trickling_connections_do_not_block_health_checks_or_commands(
    bot: RunningBot,
) -> None:
    port = bot.server.port
    idle: list[socket.socket] = []
    try:
        for _ in range(110):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
            idle.append(sock)
        for sock in idle[::2]:
            sock.sendall(b"X")  # a byte now and then
        assert healthz(port, timeout=3) == 200
        quick = SignedClient(bot.url, SIGNING_SECRET, timeout=3)
        reply = quick.command("/decisions", "help", response_url=bot.slack.response_url())
        assert reply.status == 200
        assert "/decisions" in reply.body
        for sock in idle[1::2]:
            sock.sendall(b"Y")
        assert healthz(port, timeout=3) == 200
    finally:
        for sock in idle:
            sock.close()


@pytest.fixture
def quick_server(bot: RunningBot) -> Iterator[HttpServer]:
    """The real app on a server whose idle deadline is one second."""
    server = HttpServer(
        build_app(bot.settings, bot.core), bot.core, host="127.0.0.1", port=0, idle_seconds=1
    )
    server.start_in_thread()
    yield server
    server.close()


def _trickle_until_closed(sock: socket.socket, piece: bytes, bound: float = 10.0) -> bytes:
    """Send `piece` every 0.2 s until the server answers or closes; what it answered."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], 0.2)
        if readable:
            try:
                return sock.recv(4096) or b"closed"
            except ConnectionResetError:
                return b"closed"
        try:
            sock.sendall(piece)
        except OSError:
            return b"closed"
    return b""


def test_a_connection_trickling_its_headers_is_closed(quick_server: HttpServer) -> None:
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=5) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\n")
        assert _trickle_until_closed(sock, b"X-Slow: 1\r\n") == b"closed"


def test_a_connection_trickling_its_body_is_answered_408(
    bot: RunningBot, quick_server: HttpServer
) -> None:
    body = command_body(bot.slack.response_url())
    ts = int(time.time())
    signature = bot.client.sign(body, ts)
    with socket.create_connection(("127.0.0.1", quick_server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: bot\r\n"
            + f"Content-Type: {FORM}\r\nContent-Length: {len(body)}\r\n".encode()
            + f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n\r\n".encode()
        )
        assert _trickle_until_closed(sock, b"t").startswith(b"HTTP/1.1 408")
    assert bot.slack.calls() == []


# --- item 14 (HTTP): malformed payloads -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=%7B%22type%22%3A+%22block_actions%22%2C", FORM),
        ("payload=not-json", FORM),
        ('{"type": "event_callback", "event": ', JSON),
        ("\xff\xfe{}", JSON),
        ('["event_callback"]', JSON),
    ],
    ids=["truncated-payload", "payload-not-json", "truncated-json", "not-utf8", "json-list"],
)
def test_malformed_payloads_are_a_400_and_change_nothing(
    bot: RunningBot, body: str, content_type: str
) -> None:
    data = body.encode("latin-1") if body.startswith("\xff") else body.encode()
    ts = bot.client.now()
    signature = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + data, hashlib.sha256)
    reply = bot.client.raw(
        data, content_type, timestamp=ts, signature=f"v0={signature.hexdigest()}"
    )  # correctly signed
    assert reply.status == 400
    assert bot.slack.calls() == []
    assert decisions(bot) == []


# --- item 15: replays -------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def any_bot(request: pytest.FixtureRequest) -> RunningBot:
    """The running bot on SQLite (one process: replays remembered in memory) and on PostgreSQL
    (several instances: in the database)."""
    return request.getfixturevalue("bot" if request.param == "sqlite" else "pg_bot")  # type: ignore[no-any-return]


def test_a_replayed_command_is_acted_on_once(any_bot: RunningBot) -> None:
    bot = any_bot
    body = command_body(bot.slack.response_url())
    ts = bot.client.now()
    first = bot.client.raw(body, FORM, timestamp=ts)
    again = bot.client.raw(body, FORM, timestamp=ts)
    assert first.status == again.status == 200
    assert "Logged" in json.dumps(first.json())
    assert decisions(bot) == ["We ship weekly"]
    # The same words typed again are a new command (Slack gives it a new trigger_id).
    other = command_body(bot.slack.response_url(), trigger_id="T-trigger-2")
    assert bot.client.raw(other, FORM, timestamp=ts).status == 200
    assert decisions(bot) == ["We ship weekly", "We ship weekly"]


def test_a_command_replayed_after_a_restart_is_still_acted_on_once(any_bot: RunningBot) -> None:
    """Within the five minutes a signature is accepted, a restart does not make a replay new."""
    bot = any_bot
    body = command_body(bot.slack.response_url())
    ts = bot.client.now()
    assert bot.client.raw(body, FORM, timestamp=ts).status == 200
    assert decisions(bot) == ["We ship weekly"]
    bot.restart()
    assert bot.client.raw(body, FORM, timestamp=ts).status == 200
    assert decisions(bot) == ["We ship weekly"]


@pytest.fixture
def clicks(bot: RunningBot) -> Iterator[tuple[list[str], SignedClient]]:
    """The real app plus a button listener that notes each click before acknowledging it."""
    app = build_app(bot.settings, bot.core)
    seen: list[str] = []

    @app.action("probe_click")
    def click(ack: Ack, body: dict[str, Any]) -> None:
        seen.append(str(body["actions"][0]["action_ts"]))
        ack()

    server = HttpServer(app, bot.core, host="127.0.0.1", port=0)
    server.start_in_thread()
    yield seen, SignedClient(f"http://127.0.0.1:{server.port}/slack/events", SIGNING_SECRET)
    server.close()


def test_a_replayed_click_is_acted_on_once_and_two_clicks_are_two(
    bot: RunningBot, clicks: tuple[list[str], SignedClient]
) -> None:
    seen, client = clicks
    ts = client.now()
    one, two = (
        urlencode({"payload": json.dumps(click_payload(bot, action_ts=f"1700000000.00000{n}"))})
        for n in (1, 2)
    )
    for body in (one, one, two):
        assert client.raw(body, FORM, timestamp=ts).status == 200
    assert seen == ["1700000000.000001", "1700000000.000002"]


def click_payload(bot: RunningBot, *, action_ts: str) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "token": "legacy-verification-token",
        "api_app_id": "A0NARR",
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0TEST"},
        "team": {"id": "T0TEST", "domain": "narrative-test"},
        "trigger_id": "T-trigger",
        "channel": {"id": "C0GENERAL", "name": "general"},
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0GENERAL"},
        "message": {"type": "message", "ts": "1.1", "text": "", "blocks": []},
        "response_url": bot.slack.response_url(),
        "state": {"values": {}},
        "actions": [
            {
                "action_id": "probe_click",
                "block_id": "b",
                "value": "",
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }


# --- item 16: /healthz on a locked SQLite database --------------------------------------------


def test_healthz_on_a_locked_sqlite_database_answers_503_quickly(bot: RunningBot) -> None:
    path = bot.core.engine.url.database
    assert path
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        # Well inside the 15 s busy timeout that writes wait for.
        assert healthz(bot.server.port, timeout=5) == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert healthz(bot.server.port) == 200
