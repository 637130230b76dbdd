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
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        log.info("serving Slack requests on http://0.0.0.0:%s%s", self.port, EVENTS_PATH)
        self._server.run()

    def start_in_thread(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        server = self._server
        if self._thread is not None and self._thread.is_alive():
            # Close every socket from inside the serving loop: closing them from this thread
            # while the loop waits in select() crashes it (EBADF), and open keep-alive
            # connections would keep the loop running.
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))  # type: ignore[union-attr]
            self._thread.join(timeout=5)
            server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        else:
            server.close()
