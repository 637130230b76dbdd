"""What the running bot logs, even at LOG_LEVEL=DEBUG: no message content, no endless lines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import MAX_LOG_CHARS
from tests.conftest import bot_env
from tests.process import BotProcess
from tests.slack_double import SlackDouble

PROPOSAL = "We move the quarterly offsite to Lisbon zebra-quartz"


@pytest.fixture
def debug_bot(tmp_path: Path, slack: SlackDouble, sqlite_url: str) -> Iterator[BotProcess]:
    bot = BotProcess(cwd=tmp_path, env=bot_env(slack, sqlite_url, LOG_LEVEL="DEBUG"))
    bot.start().wait_ready()
    yield bot
    bot.kill()


def test_at_debug_the_logs_hold_no_message_text_and_no_endless_line(
    debug_bot: BotProcess, slack: SlackDouble
) -> None:
    client = debug_bot.client
    logged = client.command("/decisions", f"log {PROPOSAL}", response_url=slack.response_url())
    assert logged.status == 200
    slack.wait_for("chat.postMessage", predicate=lambda c: PROPOSAL in str(c.params["text"]))
    search = client.command(
        "/decisions", "search " + "p" * 40_000, response_url=slack.response_url()
    )
    assert search.status == 200
    assert debug_bot.stop() == 0  # stopping finishes the work acknowledged so far
    output = debug_bot.output
    assert "DEBUG" in output  # the level is in force
    assert "zebra-quartz" not in output
    assert max(len(line) for line in output.splitlines()) <= MAX_LOG_CHARS + 200
