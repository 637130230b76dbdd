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


# --- control characters, NUL, ids and numbers that do not fit ----------------------------------

import logging  # noqa: E402

from freezegun import freeze_time  # noqa: E402
from sqlmodel import select  # noqa: E402

from handlers.slack.errors import GENERIC_ERROR  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.models import Decision, Narrative, ReflectionQuestionSet  # noqa: E402
from tests.slack_double import Call  # noqa: E402


def _no_generic_error(bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    failed = [r.getMessage() for r in caplog.records if r.name == "narrative.errors"]
    assert failed == []
    said = [c for c in bot.slack.calls() if GENERIC_ERROR in json.dumps(c.params)]
    assert said == []


def _private(bot: RunningBot, reply: Any, name: str) -> str:
    """The private answer to a command: in the ack, or posted to its response_url."""
    assert reply.status == 200
    if reply.body and reply.json().get("text"):
        return str(reply.json()["text"])
    (call,) = bot.slack.wait_for("response_url", predicate=lambda c: c.params.get("_id") == name)
    return str(call.params.get("text"))


def _decisions(bot: RunningBot) -> list[Decision]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(Decision).order_by(Decision.id)))


def _question_sets(bot: RunningBot) -> list[ReflectionQuestionSet]:
    with session_scope(bot.core.engine) as session:
        return list(session.exec(select(ReflectionQuestionSet)))


def _questions_form(text: str) -> dict[str, Any]:
    return {"questions": {"questions_text": {"type": "plain_text_input", "value": text}}}


def _settle(bot: RunningBot) -> None:
    """Wait until every request so far is handled, with the work and updates it asked for."""
    bot.wait_idle()


def test_control_characters_cannot_forge_a_mention(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        reply = bot.client.command("/narrative", "5m Plan \x00U0BOB\x01 \x01now\x00")
        assert reply.status == 200
        posted = bot.slack.wait_for("chat.postMessage")[0]
        assert "<@U0BOB>" not in _said(posted.params)
        with session_scope(bot.core.engine) as session:
            (narrative,) = session.exec(select(Narrative)).all()
        assert narrative.title == "Plan U0BOB now"
    _no_generic_error(bot, caplog)


def test_nul_characters_are_dropped_on_any_database(
    any_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        reply = any_bot.client.command("/decisions", "log We ship\x00 it review:30d")
        assert "Logged *D-1*" in _private(any_bot, reply, "")
        assert [d.proposal for d in _decisions(any_bot)] == ["We ship it"]

        reply = any_bot.client.view_submission(
            "reflection_questions",
            _questions_form("Why\x00 now?\nWhat\x07 next?"),
            private_metadata="C0GENERAL",
        )
        assert reply.status == 200 and not reply.body
        any_bot.slack.wait_for(
            "chat.postEphemeral", predicate=lambda c: "Saved 2" in str(c.params.get("text"))
        )
        assert [json.loads(s.questions) for s in _question_sets(any_bot)] == [
            ["Why now?", "What next?"]
        ]
    _no_generic_error(any_bot, caplog)


def test_ids_longer_than_the_columns_are_refused(
    any_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    long_user = "U" + "X" * 40
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        url = any_bot.slack.response_url("decide")
        reply = any_bot.client.command(
            "/decisions", f"log We ship owner:<@{long_user}>", response_url=url
        )
        assert "owner must be a mention" in _private(any_bot, reply, "decide")
        reply = any_bot.client.view_submission(
            "reflection_questions", _questions_form("Why?"), private_metadata="C" + "X" * 40
        )
        assert reply.json()["response_action"] == "errors"
        _settle(any_bot)
    assert _decisions(any_bot) == []
    assert _question_sets(any_bot) == []
    _no_generic_error(any_bot, caplog)


def test_numbers_too_big_or_not_ascii_get_a_clear_answer(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    add_decision(bot.core.engine, text="We launch in March")
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        for command, text, expected in (
            ("/decisions", "log We ship review:99999999d", "review"),
            ("/decide", "We ship review:99999999999999d", "review"),
            ("/narrative", "99999999999999d Plan", "reading time"),
            ("/reflect", "now for 99999999999999d", "collected"),
            ("/reflect", "pick ²", "takes a number"),
            ("/reflect", "every 99999999999999999999 weeks monday 09:00", "every"),
        ):
            name = f"n{len(bot.slack.calls())}"
            reply = bot.client.command(command, text, response_url=bot.slack.response_url(name))
            assert expected in _private(bot, reply, name), text

        # Buttons and forms carrying numbers that are too big, or not ASCII digits.
        for value in ("99999999999999999999999", "²"):
            reply = bot.client.block_action("reflection_answer", value)
            assert reply.status == 200
            reply = bot.client.view_submission(
                "reflection_answers", {}, private_metadata=value, user_id="U0ALICE"
            )
            assert reply.json()["response_action"] == "errors"
            bot.client.block_action("narrative_done", value)
        url = bot.slack.response_url("pages")
        bot.client.block_action(
            "log_page_next",
            json.dumps({"v": "search", "a": "launch", "p": 10**20}),
            response_url=url,
        )
        bot.client.block_action(
            "home_page_next",
            json.dumps({"p": 10**20}),
            view={"type": "home", "private_metadata": json.dumps({"p": "²"})},
        )
        bot.client.block_action(
            "home_page_next", "{}", view={"type": "home", "private_metadata": '{"p": "²"}'}
        )
        _settle(bot)
    assert len(_decisions(bot)) == 1
    assert bot.slack.calls("views.publish")
    _no_generic_error(bot, caplog)


def test_an_unknown_status_filter_changes_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    add_decision(bot.core.engine, text="We launch in March")
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        bot.client.block_action(
            "home_filter_status",
            view={"type": "home", "private_metadata": json.dumps({"s": "halted"})},
            action_type="static_select",
            action_extra={"selected_option": {"value": "bogus"}},
        )
        published = bot.slack.wait_for("views.publish")[0]
    view = published.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert json.loads(view["private_metadata"])["s"] == "halted"
    _no_generic_error(bot, caplog)


# --- lengths ----------------------------------------------------------------------------------


def test_huge_search_text_gets_the_limit(
    any_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    add_decision(any_bot.core.engine, text="We launch in March")
    with caplog.at_level(logging.ERROR, logger="narrative.errors"):
        answer = _search(any_bot, "launch " * 6000)
        assert "500 characters" in answer and "D-1" not in answer
        assert "D-1" in _search(any_bot, "launch " * 70)
    _no_generic_error(any_bot, caplog)


def test_huge_titles_proposals_and_reasons_get_the_limit(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    huge = "word " * 8000
    with (
        caplog.at_level(logging.ERROR, logger="narrative.errors"),
        freeze_time("2026-12-01 09:00:00", tick=True),
    ):
        for command, text, limit in (
            ("/narrative", f"5m {huge}", "4,000"),
            ("/decisions", f"log {huge}", "3,500"),  # the decision with its options
            ("/decide", huge, "3,500"),
        ):
            name = f"h{len(bot.slack.calls())}"
            reply = bot.client.command(command, text, response_url=bot.slack.response_url(name))
            answer = _private(bot, reply, name)
            assert f"the limit is {limit} characters" in answer, command
        _settle(bot)
    with session_scope(bot.core.engine) as session:
        assert session.exec(select(Narrative)).all() == []
    assert _decisions(bot) == []
    assert [c for c in bot.slack.calls("chat.postMessage") if c.error is None] == []
    _no_generic_error(bot, caplog)


def _calls_with(bot: RunningBot, text: str) -> list[Call]:
    return [c for c in bot.slack.calls() if text in json.dumps(c.params)]
