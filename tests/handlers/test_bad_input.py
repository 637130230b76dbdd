"""Bad and unusual input end to end: search in any script, limits, control characters, ids and
numbers that do not fit. Each gets a clear private answer (or a 400) and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import RunningBot, bot_env
from tests.log_helpers import add_decision
from tests.slack_double import SlackDouble


@pytest.fixture
def any_bot(slack: SlackDouble, any_db_url: str) -> Iterator[RunningBot]:
    """The running bot on a SQLite file and on PostgreSQL."""
    running = RunningBot(slack, any_db_url, bot_env(slack, any_db_url))
    yield running
    running.stop()


def _said(params: dict[str, Any]) -> str:
    return json.dumps(params.get("blocks"), ensure_ascii=False) + str(params.get("text"))


def _search(bot: RunningBot, words: str) -> str:
    """`/decisions search words` and the private list it answers with."""
    name = f"search-{words.encode().hex()[:40]}"
    url = bot.slack.response_url(name)
    reply = bot.client.command("/decisions", f"search {words}", response_url=url)
    assert reply.status == 200
    if reply.body:
        return str(reply.json()["text"])
    (call,) = bot.slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == name)
    assert call.params["response_type"] == "ephemeral"
    return _said(call.params)


def test_search_finds_words_in_any_case_and_script(any_bot: RunningBot) -> None:
    add_decision(any_bot.core.engine, text="Über den ÖLPREIS reden wir in İstanbul")
    add_decision(any_bot.core.engine, text="Hire a designer")
    for words in ("über", "ÜBER", "ölpreis", "ÖLPREIS", "istanbul", "İSTANBUL", "Istanbul"):
        found = _search(any_bot, words)
        assert "D-1" in found and "Hire" not in found, words
    assert "D-1" not in _search(any_bot, "ankara")
