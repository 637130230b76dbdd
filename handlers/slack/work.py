"""Slow work after an acknowledgement runs on the bot's work threads, not Bolt's listeners.

Bolt runs each listener on a small pool of threads, and a request is answered only when its
listener calls `ack()`, on one of those threads. A listener that kept its thread for the slow
part (storing, posting to Slack) would, in a burst, fill the pool, and the next requests'
acknowledgements would wait behind that work. So the listeners that do slow work acknowledge,
then `defer` the rest: the listener threads stay free for acknowledgements, and the slow parts
queue here, in order, on a few threads of their own.

Work is queued per lane, a channel: a channel's work runs in order on at most
`WORK_THREADS` threads at once, so one channel waiting on Slack (a 429's Retry-After is slept
inside the Slack client) holds only its own lane, never other channels' work.

Both pools remember unfinished work: when the bot stops, acknowledged work is finished (for a
bounded time) before the database closes.

The queue is bounded (WORK_QUEUE_LIMIT jobs waiting to start), and acknowledged work is never
dropped, so the bound is kept before the acknowledgement (`admit`): a slash command that finds
the queue full waits up to `ROOM_WAIT_SECONDS` for room (well inside Slack's 3 s), else is
answered privately that the bot is busy, with nothing done or stored, and the person tries
again. (Commands admitted at the same moment may each take the last place: the queue can pass
its bound by the few listeners running at once.) Clicks and form submissions answer something already posted (a vote, a reason typed
into a form) and are neither refused nor held up: the little work they defer may take the
queue past its bound (new work, which commands bring, is what the bound holds back).

Acknowledgements come first. Python runs one thread at a time, so work (storing, building and
posting a poll: mostly Python) running beside a request slows its acknowledgement, which
passes through several threads (the HTTP server's, Bolt's, the listener's), each waiting its
turn. So while any request is being acknowledged, a work thread waits for a moment when none
is (a burst's end), for up to `HOLD_SECONDS`; a burst longer than that lets a job start when
fewer than `JOBS_BESIDE_ACKNOWLEDGEMENTS` jobs run, or after waiting `YIELD_SECONDS` more (work
always goes on, only later in a burst: a single command's work starts at once, since nothing
else is being acknowledged). A job already started is never paused, and each lane keeps its
order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from slack_bolt import BoltResponse
from slack_sdk import WebClient

from bot.core import Core
from handlers import coalesce
from handlers.slack.errors import handle_error

log = logging.getLogger(__name__)

# Work threads of one lane (channel): mostly waiting on Slack, so a few more than cores; few
# enough that CPU-bound work leaves room for acknowledgements.
WORK_THREADS = 2
# Work threads in all: lanes waiting on Slack's rate limits sleep, they take no CPU.
WORK_THREADS_TOTAL = 8
# How long stopping waits for the work queue (after the listeners, see `handlers.slack.app`).
WORK_GRACE_SECONDS = 20.0
# Jobs waiting to start, at most, unless WORK_QUEUE_LIMIT says otherwise.
WORK_QUEUE_LIMIT = 1000
# How long a job waits, at most, for a moment with no request being acknowledged (a burst's
# end): during a burst, work that would compete with acknowledgements for Python's lock waits.
HOLD_SECONDS = 1.0
# Then, while requests are still being acknowledged, how long it waits for its turn beside them.
YIELD_SECONDS = 0.05
# Jobs that may run side by side while requests are being acknowledged (more wait their turn):
# one keeps the work going in the gaps between requests without crowding them out.
JOBS_BESIDE_ACKNOWLEDGEMENTS = 1
# How long a request waits for room in a full queue before its acknowledgement: the rest of
# Slack's 3 s is left for the listener.
ROOM_WAIT_SECONDS = 1.0
BUSY = (
    ":hourglass: Narrative is very busy right now, so nothing was done. "
    "Please try again in a minute."
)


class DrainingPool(ThreadPoolExecutor):
    """A thread pool that remembers unfinished work, so that stopping can wait for it."""

    def __init__(self, max_workers: int, name: str) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self.name = name
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

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no submitted work is unfinished (without stopping the pool); False when
        some still is after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                unfinished = list(self._unfinished)
            if not unfinished:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            wait(unfinished, timeout=remaining)

    def drain(self, timeout: float) -> int:
        """Take no new work and wait up to `timeout` seconds for the rest; returns how many
        pieces of work had not finished by then."""
        self.shutdown(wait=False)
        with self._lock:
            unfinished = list(self._unfinished)
        _done, not_done = wait(unfinished, timeout=timeout)
        if not_done:
            log.warning("stopping with %s piece(s) of %s work unfinished", len(not_done), self.name)
        return len(not_done)


class Acknowledging:
    """The requests being acknowledged now, and the jobs running: while a request is being
    acknowledged, a job starts only when fewer than `beside` run (or after a wait)."""

    def __init__(
        self, beside: int = JOBS_BESIDE_ACKNOWLEDGEMENTS, hold: float = HOLD_SECONDS
    ) -> None:
        self.beside = beside
        self.hold = hold
        self._count = 0
        self._jobs = 0
        self._waiting = 0
        self._changed = threading.Condition()

    @property
    def count(self) -> int:
        return self._count

    @property
    def waiting(self) -> int:
        """Jobs waiting for their turn now."""
        return self._waiting

    @contextmanager
    def request(self) -> Iterator[None]:
        """A request from its arrival to its answer (see `handlers.web.HttpServer`)."""
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                if not self._count:
                    self._changed.notify_all()

    @contextmanager
    def job(self, timeout: float) -> Iterator[None]:
        """A job, started when no request is being acknowledged; after `hold` seconds of a
        burst, when fewer than `beside` jobs run; after `timeout` more, whatever happens."""
        with self._changed:
            self._waiting += 1
            try:
                self._changed.wait_for(lambda: not self._count, self.hold)
                self._changed.wait_for(lambda: not self._count or self._jobs < self.beside, timeout)
            finally:
                self._waiting -= 1
            self._jobs += 1
        try:
            yield
        finally:
            with self._changed:
                self._jobs -= 1
                self._changed.notify_all()


class LanePool:
    """Runs work in order per lane, at most `per_lane` at a time, lanes side by side on a
    `DrainingPool` (which stopping drains). `depth` jobs wait to start; `has_room` tells
    whether that is below `limit` (the pool itself never refuses a job). Before each job a
    thread gives way to acknowledgements (`acknowledging`) for up to `yield_seconds`."""

    def __init__(
        self,
        threads: int,
        per_lane: int,
        name: str,
        limit: int = WORK_QUEUE_LIMIT,
        yield_seconds: float = YIELD_SECONDS,
        hold_seconds: float = HOLD_SECONDS,
    ):
        self.pool = DrainingPool(threads, name)
        self.per_lane = per_lane
        self.limit = limit
        self.acknowledging = Acknowledging(hold=hold_seconds)
        self.yield_seconds = yield_seconds
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._queued = 0
        self._running: dict[str, int] = {}
        self._waiting: dict[str, deque[Callable[[], None]]] = {}

    @property
    def depth(self) -> int:
        """Jobs submitted and not started yet."""
        return self._queued

    def has_room(self, timeout: float = 0.0) -> bool:
        """True when fewer than `limit` jobs wait, now or within `timeout` seconds."""
        with self._room:
            return self._room.wait_for(lambda: self._queued < self.limit, timeout)

    def submit(self, lane: str, work: Callable[[], None]) -> None:
        with self._lock:
            self._queued += 1
            running = self._running.get(lane, 0)
            if running >= self.per_lane:
                self._waiting.setdefault(lane, deque()).append(work)
                return
            self._running[lane] = running + 1
        self.pool.submit(self._run, lane, work)

    def _run(self, lane: str, work: Callable[[], None] | None) -> None:
        while work is not None:
            with self._room:
                self._queued -= 1
                self._room.notify()
            try:
                with self.acknowledging.job(self.yield_seconds):
                    work()
            except Exception:  # noqa: BLE001 - `defer` reports its own errors; keep the lane going
                log.exception("work in lane %s failed", lane)
            with self._lock:
                waiting = self._waiting.get(lane)
                work = waiting.popleft() if waiting else None
                if waiting is not None and not waiting:
                    del self._waiting[lane]
                if work is None:
                    self._running[lane] -= 1
                    if not self._running[lane]:
                        del self._running[lane]

    def drain(self, timeout: float) -> int:
        return self.pool.drain(timeout)


def pool_for(core: Core, *, limit: int = WORK_QUEUE_LIMIT) -> LanePool:
    """The work pool of a running bot (made at its first use, with `limit`, and drained when
    the bot stops)."""
    return core.shared(
        "work",
        lambda: LanePool(WORK_THREADS_TOTAL, WORK_THREADS, "work", limit),
        close=lambda pool: pool.drain(WORK_GRACE_SECONDS),
        first=True,
    )


def admit(core: Core) -> Callable[..., BoltResponse | None]:
    """Global middleware keeping the work queue within its bound before acknowledgements (see
    the module's doc): a slash command finding no room within `ROOM_WAIT_SECONDS` is answered
    privately that the bot is busy, and nothing is done."""
    pool = pool_for(core)

    def middleware(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        if "command" in body and not pool.has_room(ROOM_WAIT_SECONDS):
            log.warning("work queue full (%s waiting): refused a command", pool.depth)
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": BUSY})
        return next()

    return middleware


def listener_pools(core: Core) -> list[DrainingPool]:
    """The listener pools of the bot's apps (see `handlers.slack.app.build_app`), for `wait_idle`."""
    return core.shared("listener_pools", list, close=lambda _pools: None)


def wait_idle(core: Core, timeout: float = 10.0) -> bool:
    """Wait until every request handed to the bot so far is done: its listener and the work it
    deferred. Tests wait for this exact moment (say, before asserting that nothing was posted)
    instead of sleeping. False when work is still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    work = pool_for(core).pool
    while True:
        # Listeners first: one still running may defer more work.
        for pool in [*listener_pools(core), work]:
            if not pool.wait_idle(max(0.0, deadline - time.monotonic())):
                return False
        if not all(pool.wait_idle(0) for pool in listener_pools(core)):
            continue
        # Message updates the work asked for (coalesced, each in its turn).
        return coalesce.shared(core).wait_idle(max(0.0, deadline - time.monotonic()))


def lane_of(body: dict[str, Any]) -> str:
    """A request's lane: its channel (Slack's rate limits are per channel), else its user."""
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
        or body.get("user_id")
        or (body.get("user") or {}).get("id")
    )
    return str(channel or "")


def defer(
    core: Core,
    body: dict[str, Any],
    client: WebClient,
    work: Callable[[], None],
    *,
    lane: str | None = None,
) -> None:
    """Run `work`, the part of a listener after its `ack()`, on the work threads, in `lane` (by
    default the request's channel). It fails as a listener would: logged with the request's
    context, and the user told privately."""

    def run() -> None:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - reported like any listener's error
            handle_error(exc, body, client, None)

    pool_for(core).submit(lane or lane_of(body), run)
