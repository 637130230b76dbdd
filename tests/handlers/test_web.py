"""The HTTP server stops cleanly, also from another thread and with connections open."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator

import pytest

from handlers.slack.app import build_app
from handlers.web import SWITCH_SECONDS, HttpServer
from tests.conftest import RunningBot


@pytest.fixture
def thread_errors() -> Iterator[list[BaseException]]:
    errors: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)  # type: ignore[assignment,arg-type,misc]
    yield errors
    threading.excepthook = previous


def test_close_stops_the_serving_thread_even_with_a_connection_open(
    bot: RunningBot, thread_errors: list[BaseException]
) -> None:
    for _ in range(5):
        server = HttpServer(build_app(bot.settings, bot.core), bot.core, host="127.0.0.1", port=0)
        server.start_in_thread()
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle.recv(1024).startswith(b"HTTP/1.1 200")  # keep-alive: the channel stays open
        server.close()
        assert server._thread is not None and not server._thread.is_alive()
        idle.close()
    assert thread_errors == []


def test_close_is_safe_to_repeat_and_frees_the_port(
    bot: RunningBot, thread_errors: list[BaseException]
) -> None:
    server = HttpServer(build_app(bot.settings, bot.core), bot.core, host="127.0.0.1", port=0)
    server.start_in_thread()
    server.close()
    server.close()
    assert server._thread is not None and not server._thread.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)
    assert thread_errors == []


def test_the_server_makes_threads_hand_over_the_interpreter_often(bot: RunningBot) -> None:
    """A request passes through several threads; each waits at most a switch interval for
    whatever else runs (see `SWITCH_SECONDS`)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)  # Python's default
    try:
        server = HttpServer(build_app(bot.settings, bot.core), bot.core, host="127.0.0.1", port=0)
        server.close()
        assert sys.getswitchinterval() == pytest.approx(SWITCH_SECONDS)
        assert SWITCH_SECONDS <= 0.001
    finally:
        sys.setswitchinterval(before)
