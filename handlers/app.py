"""Builds the Bolt app: Web API client with retries, middleware, error handler and listeners."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.config import Settings
from bot.core import Core
from handlers import actions, commands, events, home, timers, views
from handlers.errors import handle_error
from handlers.middleware import dedupe_events, retrying_respond
from handlers.slack import retry_handlers

log = logging.getLogger(__name__)

# Listener threads: each runs one acknowledged request's work (mostly waiting on Slack).
LISTENER_THREADS = 5
# How long stopping waits for acknowledged work to finish before the database closes.
SHUTDOWN_GRACE_SECONDS = 20.0


class ListenerPool(ThreadPoolExecutor):
    """Bolt's listener threads, remembering unfinished work so that stopping can wait for it:
    what was acknowledged to Slack (a vote, a question, a poll to post) is done, not dropped."""

    def __init__(self, max_workers: int = LISTENER_THREADS) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="listener")
        self._unfinished: set[Future[Any]] = set()
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._unfinished.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future[Any]) -> None:
        with self._lock:
            self._unfinished.discard(future)

    def drain(self, timeout: float = SHUTDOWN_GRACE_SECONDS) -> int:
        """Take no new work and wait up to `timeout` seconds for the rest; returns how many
        pieces of work had not finished by then."""
        self.shutdown(wait=False)
        with self._lock:
            unfinished = list(self._unfinished)
        _done, not_done = wait(unfinished, timeout=timeout)
        if not_done:
            log.warning("stopping with %s request(s) still being handled", len(not_done))
        return len(not_done)


def build_client(settings: Settings) -> WebClient:
    """The Web API client: every call goes to SLACK_API_URL and retries what Slack says to."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("narrative.slack_sdk"),
    )


def build_app(settings: Settings, core: Core, *, client: WebClient | None = None) -> App:
    client = client or build_client(settings)
    listeners = ListenerPool()
    # Before anything else closes: acknowledged work finishes while the database is open.
    core.on_close(listeners.drain, first=True)
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "socket-mode-needs-no-secret",
        # Ack first, work after: listeners run in Bolt's thread pool once they have acked.
        process_before_response=False,
        listener_executor=listeners,
        # auth.test at start-up is done (with a readable message) by `narrative-bot run/check`.
        token_verification_enabled=False,
        logger=logging.getLogger("narrative.bolt"),
    )
    app.use(dedupe_events(core))
    app.use(retrying_respond)
    app.error(handle_error)
    commands.register(app, core)
    actions.register(app, core)
    views.register(app, core)
    events.register(app, core)
    home.register(app, core)
    timers.register(app, core)
    return app
