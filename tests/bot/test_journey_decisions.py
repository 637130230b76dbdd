"""The decisions journey on a core built as the bot builds it (a real SQLite file), with the
in-memory platform."""

from __future__ import annotations

from freezegun import freeze_time

from bot.core import Core
from tests.bot.journey_decisions import decisions_journey
from tests.memory_port import MemoryPlatform


def test_decisions_journey_in_memory(core: Core, memory: MemoryPlatform) -> None:
    with freeze_time("2026-12-01 09:00:00"):
        decisions_journey(core, memory)
