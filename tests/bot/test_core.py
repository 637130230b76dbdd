"""The running core: shutdown steps run once, in order, and late ones at once; each workspace
reaches the platform it lives on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bot.clock import SystemClock
from bot.core import Core
from bot.timers import TimerService
from bot.vocabulary import PlatformName
from tests.memory_port import MemoryPlatform


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


def _named(name: str) -> MemoryPlatform:
    platform = MemoryPlatform()
    platform.name = name
    return platform


def test_each_workspace_reaches_the_platform_it_lives_on(engine: Engine) -> None:
    core = _core(engine)
    slack, playground = _named(PlatformName.SLACK), _named(PlatformName.PLAYGROUND)
    core.add_platform(slack)
    assert core.platform_for("T0NEVERSEEN") is slack, "one platform serves every workspace"
    core.add_platform(playground)
    core.record_workspace("T0SLACK", PlatformName.SLACK)
    core.record_workspace("demo", PlatformName.PLAYGROUND)
    assert core.platform_for("T0SLACK") is slack
    assert core.platform_for("demo") is playground
    with pytest.raises(LookupError, match="T0NEVERSEEN"):
        core.platform_for("T0NEVERSEEN")
    # A workspace never moves: the first platform recorded stays.
    core.record_workspace("demo", PlatformName.SLACK)
    assert core.platform_for("demo") is playground

    # Another process on the same database (a restart, a second instance) reads it back.
    other = _core(engine)
    other.add_platform(_named(PlatformName.SLACK))
    other.add_platform(moved := _named(PlatformName.PLAYGROUND))
    assert other.platform_for("demo") is moved
    other.record_workspace("demo", PlatformName.SLACK)
    assert other.platform_for("demo") is moved


def test_a_workspace_is_written_once_per_process(engine: Engine) -> None:
    core = _core(engine)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    core.record_workspace("T0SLACK", PlatformName.SLACK)
    assert any("INSERT INTO workspace" in s for s in statements)
    statements.clear()
    for _ in range(3):
        core.record_workspace("T0SLACK", PlatformName.SLACK)
    assert statements == [], "a workspace already recorded costs no query"
    event.remove(engine, "before_cursor_execute", seen)
