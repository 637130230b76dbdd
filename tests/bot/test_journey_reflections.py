"""The reflection journey on a core built as the bot builds it (real SQLite file, timers
registered by `build_core`), with the in-memory platform."""

from __future__ import annotations

from bot.core import Core
from tests.bot.journey_reflections import reflections_journey
from tests.memory_port import MemoryPlatform


def test_a_weekly_round_is_posted_answered_and_closed_with_its_digest(
    core: Core, memory: MemoryPlatform
) -> None:
    reflections_journey(core, memory)
