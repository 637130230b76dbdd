"""The core as the bot builds it (a real SQLite file, every feature's timers registered), with
the in-memory platform: what the journey tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.core import Core, build_core
from tests.memory_port import MemoryPlatform


@pytest.fixture
def core(sqlite_url: str) -> Iterator[Core]:
    settings = Settings(
        slack_bot_token="",
        slack_signing_secret=None,
        slack_app_token=None,
        database_url=sqlite_url,
        port=0,
        log_level="INFO",
        # Nothing is sent to Slack here; the address only keeps the settings valid.
        slack_api_url="http://127.0.0.1:9/api/",
        mode="http",
        timer_sweep_seconds=60.0,
        admin_user_ids=frozenset(),
    )
    built = build_core(settings)
    yield built
    built.close()


@pytest.fixture
def memory(core: Core) -> MemoryPlatform:
    platform = MemoryPlatform()
    core.add_platform(platform)
    return platform
