"""HTTP mode: the Bolt app on aiohttp, dispatched on worker threads, plus /healthz.

The event loop only reads requests and writes answers, so connections that are slow, idle or
hostile never hold a worker: each request is read whole (up to `MAX_BODY_BYTES`) before a
thread sees it, and a connection that has not sent a complete request within `IDLE_SECONDS`
is closed."""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from aiohttp import web
from multidict import CIMultiDict
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.core import Core
from handlers.slack.work import pool_for

if TYPE_CHECKING:
    from handlers.teams.app import TeamsBot

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
TEAMS_PATH = "/api/messages"
# Slack's payloads are a few kB (a modal with every field filled stays far below 1 MB).
MAX_BODY_BYTES = 2 * 1024 * 1024
# A connection must deliver a request's headers within this time of opening (or of its
# previous answer, when kept alive), and its body within this time of its headers: idle and
# trickling connections are closed.
IDLE_SECONDS = 15.0
# A health check answers within this time: a database that does not answer by then is down.
HEALTH_SECONDS = 3.0
# How long stopping waits for requests being answered.
STOP_GRACE_SECONDS = 5.0
# How long a Python thread runs before it must let a waiting one have the interpreter (Python's
# default is 5 ms). A request passes through several threads (this loop, a worker, Bolt's
# listener) and waits its turn at each, behind whatever else runs: 1 ms keeps that short.
SWITCH_SECONDS = 0.001
# Slack's request signing headers: anything else is refused before Bolt sees the request, so
# a malformed header can never make verification raise (and reach the error handler). Only
# Slack's SSL check comes unsigned.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class _EventLoop(asyncio.SelectorEventLoop):
    """An event loop on the real monotonic clock, even while a test freezes time: deadlines
    (idle connections, slow bodies) are about real seconds."""

    _clock = staticmethod(time.monotonic)  # bound before any test can patch `time`

    def time(self) -> float:
        return self._clock()


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Connection": "close"})


def _signature_headers_well_formed(request: web.BaseRequest) -> bool:
    timestamps = request.headers.getall("X-Slack-Request-Timestamp", [])
    signatures = request.headers.getall("X-Slack-Signature", [])
    return (
        len(timestamps) == 1
        and len(signatures) == 1
        and _TIMESTAMP.fullmatch(timestamps[0]) is not None
        and _SIGNATURE.fullmatch(signatures[0]) is not None
    )


def _is_ssl_check(request: web.BaseRequest, body: bytes) -> bool:
    """Slack's certificate check of a request URL, which it sends unsigned: answered with an
    empty 200 here, and never handed to Bolt."""
    if request.content_type != "application/x-www-form-urlencoded":
        return False
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return fields.get("ssl_check") == ["1"]


def _bolt_request(request: web.BaseRequest, body: bytes) -> BoltRequest | None:
    """The request as Bolt reads it; None when its body is not what it claims to be."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    try:
        # Bolt parses the body here: bad JSON, or a `payload=` field that is not JSON, raises.
        parsed = BoltRequest(body=body.decode("utf-8"), query=request.query_string, headers=headers)
    except Exception:  # noqa: BLE001 - any malformed body is the sender's error
        return None
    return parsed if isinstance(parsed.body, dict) else None


def _answer(response: BoltResponse) -> web.Response:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, values in response.headers.items():
        for value in values:
            headers.add(name, value)
    body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
    return web.Response(status=response.status, body=body, headers=headers)


class HttpServer:
    """Serves the Bolt app and /healthz over HTTP; Bolt runs on `threads` worker threads."""

    def __init__(
        self,
        app: App | None,
        core: Core,
        *,
        host: str = "0.0.0.0",
        port: int = 3000,
        threads: int = 16,
        idle_seconds: float = IDLE_SECONDS,
        teams: TeamsBot | None = None,
    ) -> None:
        self._app = app
        self._teams = teams
        self._host = host
        self._core = core
        sys.setswitchinterval(SWITCH_SECONDS)
        self._workers = ThreadPoolExecutor(threads, thread_name_prefix="http-worker")
        # Health checks get threads of their own: busy workers never make the bot look down.
        self._health = ThreadPoolExecutor(2, thread_name_prefix="http-health")
        self._idle_seconds = idle_seconds
        self._loop = _EventLoop()
        web_app = web.Application(client_max_size=MAX_BODY_BYTES)
        web_app.router.add_get("/healthz", self._healthz)
        if app is not None:
            web_app.router.add_post(EVENTS_PATH, self._slack)
            if app.oauth_flow is not None:  # distribution mode: "Add to Slack" and its redirect
                web_app.router.add_get(app.oauth_flow.install_path, self._oauth)
                web_app.router.add_get(app.oauth_flow.redirect_uri_path, self._oauth)
        if teams is not None:
            web_app.router.add_post(TEAMS_PATH, self._teams_activity)
        self._runner = web.AppRunner(
            web_app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=STOP_GRACE_SECONDS,
            # Also the deadline for a new connection's first request (see the module's doc).
            keepalive_timeout=idle_seconds,
            max_line_size=8190,
            max_field_size=8190,
        )
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, host, port, backlog=512)
        self._loop.run_until_complete(site.start())
        self._port = int(self._runner.addresses[0][1])
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def port(self) -> int:
        return self._port

    def serve_forever(self) -> None:
        """Serve until Ctrl-C or SIGTERM (KeyboardInterrupt, see runtime.py) or `close()`.

        The loop runs on a thread of its own: the interrupt arrives in this thread's wait, never
        inside the loop's tasks (which it would leave half done)."""
        if self._app is not None:
            log.info("serving Slack requests on http://%s:%s%s", self._host, self.port, EVENTS_PATH)
        if self._teams is not None:
            log.info(
                "serving Teams activities on http://%s:%s%s", self._host, self.port, TEAMS_PATH
            )
        self.start_in_thread()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(timeout=1.0)

    def start_in_thread(self) -> None:
        self._thread = threading.Thread(target=self._loop.run_forever, name="http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving: no new connections, requests being answered finish (for a few
        seconds), then the worker threads and the loop stop. Safe to repeat."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        loop = self._loop
        if self._thread is not None and self._thread.is_alive():
            stopping = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop)
            try:
                stopping.result(timeout=STOP_GRACE_SECONDS + 5)
            except Exception:  # noqa: BLE001 - stopping goes on whatever cleanup met
                log.warning("the HTTP server did not stop cleanly", exc_info=True)
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(timeout=5)
        elif not loop.is_running():  # never served
            loop.run_until_complete(self._runner.cleanup())
        self._workers.shutdown(wait=True, cancel_futures=True)
        self._health.shutdown(wait=False, cancel_futures=True)
        if not loop.is_running():
            loop.close()

    async def _healthz(self, _request: web.Request) -> web.Response:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(HEALTH_SECONDS):
                healthy = await loop.run_in_executor(self._health, self._core.database_answers)
        except TimeoutError:
            healthy = False
        queue = pool_for(self._core)
        body = {
            "ok": healthy,
            "database": "up" if healthy else "down",
            # Work acknowledged and waiting to start, and its bound (WORK_QUEUE_LIMIT).
            "work_queue": {"depth": queue.depth, "limit": queue.limit},
        }
        return web.json_response(body, status=200 if healthy else 503)

    async def _read(self, request: web.Request) -> bytes | web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _plain(413, "Request body too large")
        try:
            async with asyncio.timeout(self._idle_seconds):
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _plain(413, "Request body too large")
        except TimeoutError:
            return _plain(408, "Request body too slow")

    async def _teams_activity(self, request: web.Request) -> web.StreamResponse:
        """Teams: the activity is handled before the answer (a message 202, an invoke 200
        with its body, a malformed activity 400, a caller without a valid token 401)."""
        assert self._teams is not None
        body = await self._read(request)
        if isinstance(body, web.Response):
            return body
        if not await self._teams.authorized(request.headers.get("Authorization")):
            return _plain(401, "Unauthorized")
        loop = asyncio.get_running_loop()
        status, answer = await loop.run_in_executor(self._workers, self._teams.handle, body)
        if answer is None:
            return web.Response(status=status)
        return web.json_response(answer, status=status)

    async def _slack(self, request: web.Request) -> web.StreamResponse:
        assert self._app is not None
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _plain(413, "Request body too large")
        try:
            async with asyncio.timeout(self._idle_seconds):
                body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _plain(413, "Request body too large")
        except TimeoutError:
            return _plain(408, "Request body too slow")
        if not _signature_headers_well_formed(request):
            if _is_ssl_check(request, body):
                return web.Response(status=200)
            return _plain(401, "Unauthorized")
        bolt_request = _bolt_request(request, body)
        if bolt_request is None:
            return _plain(400, "Bad Request")
        loop = asyncio.get_running_loop()
        # Work after acknowledgements waits (briefly) while any is pending: see handlers.slack.work.
        with pool_for(self._core).acknowledging.request():
            response: BoltResponse = await loop.run_in_executor(
                self._workers, self._app.dispatch, bolt_request
            )
        return _answer(response)

    async def _oauth(self, request: web.Request) -> web.StreamResponse:
        """Bolt's OAuth flow: the install page and the redirect back from Slack (on a worker
        thread: both use the database)."""
        flow = self._app.oauth_flow
        assert flow is not None
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        bolt_request = BoltRequest(body="", query=request.query_string, headers=headers)
        handle = (
            flow.handle_installation if request.path == flow.install_path else flow.handle_callback
        )
        loop = asyncio.get_running_loop()
        response: BoltResponse = await loop.run_in_executor(self._workers, handle, bolt_request)
        return _answer(response)
