"""The update coalescer: at most one run per key per interval, and the last state always runs."""

from __future__ import annotations

import threading
import time

from handlers.coalesce import Coalescer


class Recorder:
    def __init__(self) -> None:
        self.runs: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self.state = 0

    def render(self, key: str):  # noqa: ANN201
        def run() -> None:
            with self.lock:
                self.runs.append((key, self.state))

        return run


def wait(condition, timeout: float = 3.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_first_submit_runs_at_once_and_a_burst_becomes_one_more_run() -> None:
    recorder = Recorder()
    coalescer = Coalescer(interval=0.3)
    coalescer.submit("poll", recorder.render("poll"))
    wait(lambda: len(recorder.runs) == 1)
    for state in range(1, 20):
        recorder.state = state
        coalescer.submit("poll", recorder.render("poll"))
    assert len(recorder.runs) == 1, "the burst waits for the interval"
    wait(lambda: len(recorder.runs) == 2)
    assert coalescer.wait_idle(5)
    assert recorder.runs == [("poll", 0), ("poll", 19)], "the latest state is rendered"


def test_keys_are_independent() -> None:
    recorder = Recorder()
    coalescer = Coalescer(interval=10)
    coalescer.submit("a", recorder.render("a"))
    coalescer.submit("b", recorder.render("b"))
    wait(lambda: len(recorder.runs) == 2)
    assert sorted(k for k, _ in recorder.runs) == ["a", "b"]


def test_flush_runs_what_is_pending_without_waiting() -> None:
    recorder = Recorder()
    coalescer = Coalescer(interval=60)
    coalescer.submit("poll", recorder.render("poll"))
    wait(lambda: len(recorder.runs) == 1)
    recorder.state = 7
    coalescer.submit("poll", recorder.render("poll"))
    assert coalescer.pending() == 1
    coalescer.flush()
    assert recorder.runs[-1] == ("poll", 7)
    assert coalescer.pending() == 0


def test_injected_clock_decides_the_delay() -> None:
    """With a clock far past the last run, a new submit runs at once even with a long interval."""
    now = [100.0]
    recorder = Recorder()
    coalescer = Coalescer(interval=5, monotonic=lambda: now[0])
    coalescer.submit("poll", recorder.render("poll"))
    wait(lambda: len(recorder.runs) == 1)
    now[0] += 5
    coalescer.submit("poll", recorder.render("poll"))
    wait(lambda: len(recorder.runs) == 2)


def test_a_failing_render_does_not_stop_later_ones() -> None:
    recorder = Recorder()
    coalescer = Coalescer(interval=0.01)

    def boom() -> None:
        raise RuntimeError("slack down")

    coalescer.submit("poll", boom)
    assert coalescer.wait_idle(5)
    coalescer.submit("poll", recorder.render("poll"))
    wait(lambda: len(recorder.runs) == 1)


def test_close_delivers_what_is_pending_then_takes_no_more() -> None:
    recorder = Recorder()
    coalescer = Coalescer(interval=60)
    coalescer.submit("poll", recorder.render("poll"))
    wait(lambda: len(recorder.runs) == 1)
    recorder.state = 3
    coalescer.submit("poll", recorder.render("poll"))
    coalescer.close()
    assert recorder.runs == [("poll", 0), ("poll", 3)]
    recorder.state = 4
    coalescer.submit("poll", recorder.render("poll"))
    coalescer.submit("other", recorder.render("other"))
    assert coalescer.wait_idle(5)
    assert recorder.runs == [("poll", 0), ("poll", 3)] and coalescer.pending() == 0


def test_run_now_replaces_the_pending_run_and_returns_after_rendering() -> None:
    recorder = Recorder()
    coalescer = Coalescer(interval=60)
    coalescer.submit("msg", recorder.render("msg"))
    wait(lambda: len(recorder.runs) == 1)
    recorder.state = 1
    coalescer.submit("msg", recorder.render("msg"))  # waits for its slot, a minute away
    recorder.state = 2
    coalescer.run_now("msg", recorder.render("msg"))
    assert recorder.runs == [("msg", 0), ("msg", 2)], "rendered before run_now returned"
    assert coalescer.pending() == 0, "the waiting update was replaced, not kept for later"


def test_close_waits_for_an_update_already_being_sent() -> None:
    coalescer = Coalescer(interval=1.0)
    sending, sent = threading.Event(), threading.Event()

    def slow() -> None:
        sending.set()
        sent.wait(5)

    coalescer.submit("poll", slow)
    assert sending.wait(3)
    closing = threading.Thread(target=coalescer.close)
    closing.start()
    closing.join(timeout=0.3)
    assert closing.is_alive(), "close() returned while an update was still being sent"
    sent.set()
    closing.join(timeout=5)
    assert not closing.is_alive()
