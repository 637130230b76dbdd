"""The running core: shutdown steps run once, in order, and late ones at once."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from bot.clock import SystemClock
from bot.core import Core
from bot.timers import TimerService


def test_shutdown_steps_run_at_close_and_late_ones_at_once(engine: Engine) -> None:
    core = Core(
        engine=engine,
        clock=SystemClock(),
        timers=TimerService(engine=engine, clock=SystemClock()),
    )
    ran: list[str] = []
    core.on_close(lambda: ran.append("first"))

    def broken() -> None:
        raise RuntimeError("boom")

    core.on_close(broken)
    core.on_close(lambda: ran.append("after a failing step"))
    assert ran == []
    core.close()
    assert ran == ["first", "after a failing step"]
    # A request still finishing registers its step after the bot stopped: it runs at once.
    core.on_close(lambda: ran.append("late"))
    assert ran == ["first", "after a failing step", "late"]


def _core(engine: Engine) -> Core:
    return Core(
        engine=engine,
        clock=SystemClock(),
        timers=TimerService(engine=engine, clock=SystemClock()),
    )


def test_first_steps_run_before_the_others_in_the_order_given(engine: Engine) -> None:
    core = _core(engine)
    ran: list[str] = []
    core.on_close(lambda: ran.append("flush updates"))
    core.on_close(lambda: ran.append("finish listeners"), first=True)
    core.on_close(lambda: ran.append("finish queued work"), first=True)
    core.on_close(lambda: ran.append("last"))
    core.close()
    assert ran == ["finish listeners", "finish queued work", "flush updates", "last"]


def test_a_shared_object_is_made_once_and_closed_at_stop(engine: Engine) -> None:
    core = _core(engine)
    made: list[list[str]] = []

    def make() -> list[str]:
        made.append([])
        return made[-1]

    first = core.shared("log", make, close=lambda log: log.append("closed"))
    assert core.shared("log", make, close=lambda log: log.append("again")) is first
    assert len(made) == 1 and first == []
    core.close()
    assert first == ["closed"]
