"""The decisions journey on a core built as the bot builds it (a real SQLite file), with the
in-memory platform."""

from __future__ import annotations

from freezegun import freeze_time

from bot.config import load_settings
from bot.core import build_core
from tests.bot.journey_decisions import decisions_journey
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.memory_port import MemoryPlatform


def test_decisions_journey_in_memory(sqlite_url: str) -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "DATABASE_URL": sqlite_url,
        },
        mode="http",
        port=0,
    )
    with freeze_time("2026-12-01 09:00:00"):
        core = build_core(settings)
        memory = MemoryPlatform()
        core.add_platform(memory)
        try:
            decisions_journey(core, memory)
        finally:
            core.close()
