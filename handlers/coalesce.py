"""Coalesce bursts of message updates: at most one run per key per interval, always the last.

A burst of votes on one poll must not become a burst of `chat.update` calls (Slack allows about
one per second per message). Callers submit "render this message now" for a key such as
`(channel, ts)`; the first submit in a quiet period runs at once, later ones within the interval
collapse into one run at the end of it. Each run renders the latest state (the function reads the
database when it runs), so the final state is always the one shown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.0
# How long stopping waits for an update already being sent.
CLOSE_SECONDS = 10.0


class Coalescer:
    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pending: dict[Hashable, Callable[[], None]] = {}
        self._timers: dict[Hashable, threading.Timer] = {}
        self._last_run: dict[Hashable, float] = {}
        self._run_locks: dict[Hashable, threading.Lock] = {}
        self._closed = False

    def submit(self, key: Hashable, render: Callable[[], None]) -> None:
        """Ask for `render` to run for `key`; a later submit before it runs replaces it."""
        with self._lock:
            if self._closed:
                log.debug("update for %s after shutdown dropped", key)
                return
            self._pending[key] = render
            if key in self._timers:
                return  # a run is already scheduled; it will take the newest function
            last = self._last_run.get(key)
            now = self._monotonic()
            delay = 0.0 if last is None else max(0.0, last + self.interval - now)
            timer = threading.Timer(delay, self._run, args=(key,))
            timer.daemon = True
            self._timers[key] = timer
        timer.start()

    def _run(self, key: Hashable, *, wait: bool = True, reraise: bool = False) -> None:
        run_lock = self._run_lock(key)
        # One run per key at a time, so an older render can never land after a newer one.
        with run_lock:
            if wait:
                # The previous run may have ended later than planned (a slow render): keep the
                # interval from its end, since Slack counts calls as they arrive.
                with self._lock:
                    last = self._last_run.get(key)
                delay = 0.0 if last is None else last + self.interval - self._monotonic()
                if delay > 0:
                    time.sleep(delay)
            with self._lock:
                self._timers.pop(key, None)
                render = self._pending.pop(key, None)
            if render is None:
                return
            try:
                render()
            except Exception:  # noqa: BLE001 - one failed update must not stop later ones
                if reraise:
                    raise
                log.exception("coalesced update for %s failed", key)
            finally:
                with self._lock:
                    self._last_run[key] = self._monotonic()

    def _run_lock(self, key: Hashable) -> threading.Lock:
        with self._lock:
            return self._run_locks.setdefault(key, threading.Lock())

    def run_now(self, key: Hashable, render: Callable[[], None], *, in_turn: bool = False) -> None:
        """Run `render` for `key` in this thread, after any run in progress and in place of
        what is pending: for a change the caller must see shown before it goes on (reading is
        over). Ordered with every other update of the key, never overtaken by an older one.

        `in_turn`: wait for the key's next slot rather than skip the interval, and let an error
        of `render` reach the caller (a durable timer that retries it)."""
        with self._lock:
            self._pending[key] = render
            timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()  # if it already started, it finds nothing pending and returns
        self._run(key, wait=in_turn, reraise=in_turn)

    def flush(self) -> None:
        """Run everything pending now (tests, shutdown), ignoring the interval."""
        with self._lock:
            keys = list(self._pending)
            for key in keys:
                timer = self._timers.pop(key, None)
                if timer is not None:
                    timer.cancel()
        for key in keys:
            self._run(key, wait=False)

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Deliver what is pending now, then take no more (the bot is stopping). An update
        already running is waited for (up to `timeout` seconds), so that it ends while Slack's
        client and the database are still there."""
        self.flush()
        with self._lock:
            self._closed = True
            for timer in self._timers.values():
                timer.cancel()
            self._timers.clear()
            self._pending.clear()
            running = list(self._run_locks.values())
        deadline = self._monotonic() + timeout
        for lock in running:
            if lock.acquire(timeout=max(0.0, deadline - self._monotonic())):
                lock.release()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no update is pending or running (each in its own time: nothing is
        hurried); False when one still is after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if (
                    not self._pending
                    and not self._timers
                    and not any(lock.locked() for lock in self._run_locks.values())
                ):
                    return True
                timers = list(self._timers.values())
                locks = list(self._run_locks.values())
            for timer in timers:
                timer.join(max(0.0, deadline - time.monotonic()))
            for lock in locks:
                if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    return False
                lock.release()
            if time.monotonic() >= deadline:
                return False

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)


def shared(core: Core) -> Coalescer:
    """The one coalescer of a running bot, so that every update of one message (whichever
    listener or timer asks for it) goes through the same queue; pending updates are delivered
    when the bot stops."""
    return core.shared(
        "message-updates", lambda: Coalescer(DEFAULT_INTERVAL), close=Coalescer.close
    )
