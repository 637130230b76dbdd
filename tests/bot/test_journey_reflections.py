"""The reflection journey on a core built as the bot builds it (real SQLite file, timers
registered by `build_core`), with the in-memory platform."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.core import Core, build_core
from tests.bot.journey_reflections import reflections_journey
from tests.memory_port import MemoryPlatform


@pytest.fixture
def core(sqlite_url: str) -> Iterator[Core]:
    settings = Settings(
        slack_bot_token="xoxb-unused",
        slack_signing_secret=None,
        slack_app_token=None,
        database_url=sqlite_url,
        port=0,
        log_level="INFO",
        slack_api_url="http://127.0.0.1:9/api/",
        mode="http",
        timer_sweep_seconds=15,
        admin_user_ids=frozenset(),
    )
    built = build_core(settings)
    yield built
    built.close()


def test_a_weekly_round_is_posted_answered_and_closed_with_its_digest(core: Core) -> None:
    memory = MemoryPlatform()
    core.add_platform(memory)
    reflections_journey(core, memory)
