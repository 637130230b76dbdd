"""Coalesced updates keep their spacing even when one render is slow: Slack counts the calls as
they arrive, so the interval is measured from the end of one run to the start of the next."""

from __future__ import annotations

import threading
import time

from handlers.coalesce import Coalescer


def test_a_slow_render_does_not_let_the_next_one_come_early() -> None:
    interval = 0.3
    landed: list[float] = []
    lock = threading.Lock()
    coalescer = Coalescer(interval=interval)
    started = threading.Event()

    def render(delay: float):  # noqa: ANN202
        def run() -> None:
            started.set()
            time.sleep(delay)  # e.g. reading the poll while votes are being written
            with lock:
                landed.append(time.monotonic())  # the chat.update reaches Slack

        return run

    coalescer.submit("poll", render(0.25))
    assert started.wait(3)
    coalescer.submit("poll", render(0.0))  # arrives while the slow run is under way
    assert coalescer.wait_idle(5)
    assert len(landed) == 2
    assert landed[1] - landed[0] >= interval * 0.95, landed[1] - landed[0]


def test_flush_still_runs_at_once() -> None:
    ran: list[int] = []
    coalescer = Coalescer(interval=60)
    coalescer.submit("poll", lambda: ran.append(1))
    deadline = time.monotonic() + 3
    while not ran:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    coalescer.submit("poll", lambda: ran.append(2))
    started = time.monotonic()
    coalescer.flush()
    assert ran == [1, 2] and time.monotonic() - started < 1
