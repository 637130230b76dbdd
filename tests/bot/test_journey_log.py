"""The decision log's journey on a core over a real SQLite file, with no chat platform."""

from __future__ import annotations

from bot.core import Core
from tests.bot.journey_log import log_journey
from tests.memory_port import MemoryPlatform


def test_log_journey(core: Core, memory: MemoryPlatform) -> None:
    log_journey(core, memory)
