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
