"""HTTP mode: Bolt's WSGI adapter on waitress (a production WSGI server), plus /healthz."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

from bot.core import Core
from storage.db import ping

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
EVENTS_PATH = "/slack/events"


def build_wsgi(app: App, core: Core) -> WsgiApp:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            healthy = ping(core.engine)
            body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
            status = "200 OK" if healthy else "503 Service Unavailable"
            start_response(
                status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


class HttpServer:
    """Serves the Bolt app over HTTP with waitress' thread pool."""

    def __init__(
        self, app: App, core: Core, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 16
    ) -> None:
        self._server = create_server(
            build_wsgi(app, core),
            host=host,
            port=port,
            threads=threads,
            ident="narrative",
            clear_untrusted_proxy_headers=True,
            asyncore_use_poll=True,  # poll(): no FD_SETSIZE limit, unlike select()
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        log.info("serving Slack requests on http://0.0.0.0:%s%s", self.port, EVENTS_PATH)
        self._loop()

    def start_in_thread(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="http", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        # waitress' own run() loops until its socket map is empty, so stopping it means closing
        # sockets under its poll() from another thread. This loop checks a flag instead, and
        # every socket is closed only after the loop has returned.
        server = self._server
        timeout = server.adj.asyncore_loop_timeout  # type: ignore[union-attr]
        socket_map = server._map  # type: ignore[union-attr]
        try:
            while socket_map and not self._stopping.is_set():
                wasyncore.poll2(timeout, socket_map)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM (see runtime.py) in the main thread
            self._stopping.set()
            raise

    def close(self) -> None:
        """Stop serving: the loop, then the worker threads, then every socket. Safe to repeat."""
        server = self._server
        self._stopping.set()
        if self._thread is not None and self._thread.is_alive():
            try:
                server.pull_trigger()  # type: ignore[union-attr]  # wake poll() now
            except OSError:
                pass  # the loop notices the flag within its poll timeout
            self._thread.join(timeout=5)
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        wasyncore.close_all(server._map)  # type: ignore[union-attr]
