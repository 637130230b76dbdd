"""The decision log's journey on a core over a real SQLite file, with no chat platform."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.core import Core, build_core
from tests.bot.journey_log import log_journey
from tests.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.memory_port import MemoryPlatform


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            # Nothing is sent to Slack here; the address only keeps the settings valid.
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'journey.db'}",
        },
        mode="http",
        port=0,
    )
    built = build_core(settings)
    yield built
    built.close()


def test_log_journey(core: Core) -> None:
    memory = MemoryPlatform()
    core.add_platform(memory)
    log_journey(core, memory)
