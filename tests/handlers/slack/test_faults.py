"""Faults at the Slack edge, end to end: Slack's Web API failing, listeners raising, tokens in
logs. Nothing the user did is lost, and nothing internal reaches Slack."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from slack_bolt import Ack, App, Respond

from bot.logs import install_redaction
from bot.timers import RETRY_DELAYS
from handlers.slack.app import build_app, build_client
from handlers.slack.errors import GENERIC_ERROR
from handlers.web import HttpServer
from storage.db import session_scope
from storage.models import Timer
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, RunningBot
from tests.signed import SignedClient

LEAKY = f"database password hunter2 and {BOT_TOKEN}"


@pytest.fixture
def redacted_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record as the running bot would write it (`setup_logging` redacts secrets)."""
    undo = install_redaction([BOT_TOKEN, SIGNING_SECRET])
    caplog.set_level(logging.DEBUG)
    yield caplog
    undo()


def home_opened(user: str = "U0ALICE") -> dict[str, str]:
    return {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}


def sent_to_slack(bot: RunningBot) -> str:
    """Everything the bot sent to Slack (every call's parameters), as one string."""
    return json.dumps([c.params for c in bot.slack.calls()], ensure_ascii=False)


# --- Slack's Web API failing --------------------------------------------------------------------


def test_rate_limited_call_is_retried_after_retry_after(bot: RunningBot) -> None:
    bot.slack.fail_next("views.publish", status=429, retry_after=1)

    assert bot.client.event(home_opened()).status == 200

    calls = bot.slack.wait_for("views.publish", 2, timeout=10)
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0, "Retry-After was not honoured"
    assert "U0ALICE" in bot.slack.home_tabs


def test_server_errors_are_retried_until_slack_answers(bot: RunningBot) -> None:
    bot.slack.fail_next("views.publish", status=503, times=2)

    assert bot.client.event(home_opened()).status == 200

    calls = bot.slack.wait_for("views.publish", 3, timeout=10)
    assert [c.status for c in calls] == [503, 503, 200]
    assert "U0ALICE" in bot.slack.home_tabs


def test_retries_are_bounded_when_slack_stays_down(
    bot: RunningBot, redacted_logs: pytest.LogCaptureFixture
) -> None:
    bot.slack.fail_always("views.publish", status=500)

    assert bot.client.event(home_opened()).status == 200

    bot.slack.wait_for("views.publish", 3, timeout=10)
    wait_for_log(redacted_logs, "narrative.errors")
    assert len(bot.slack.calls("views.publish")) == 3, "retries must stop"
    # The server keeps answering.
    bot.slack.clear_faults()
    assert bot.client.command("/decide", "help").status == 200


# --- a listener that raises ---------------------------------------------------------------------


def wait_for_log(caplog: pytest.LogCaptureFixture, logger: str, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not [r for r in caplog.records if r.name == logger]:
        assert time.monotonic() < deadline, f"nothing logged by {logger}"
        time.sleep(0.01)


def test_a_command_that_raises_tells_the_user_privately_and_logs_with_context(
    bot: RunningBot, redacted_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> dict[str, str]:
        raise RuntimeError(LEAKY)

    monkeypatch.setattr("bot.decisions.parse_proposal", broken)

    reply = bot.client.command("/decide", "We launch", response_url=bot.slack.response_url())

    assert reply.status == 200
    assert "hunter2" not in reply.body and BOT_TOKEN not in reply.body
    [told] = bot.slack.wait_for("response_url")
    assert told.params["text"] == GENERIC_ERROR
    assert told.params["response_type"] == "ephemeral"
    sent = sent_to_slack(bot)
    for leak in ("hunter2", BOT_TOKEN, "RuntimeError", "Traceback"):
        assert leak not in sent

    wait_for_log(redacted_logs, "narrative.errors")
    [logged] = [r for r in redacted_logs.records if r.name == "narrative.errors"]
    assert logged.levelno == logging.ERROR
    assert "kind=command what=/decide team=T0TEST user=U0ALICE" in logged.getMessage()
    assert "RuntimeError" in logged.getMessage()
    assert BOT_TOKEN not in redacted_logs.text
    assert "[redacted-token]" in redacted_logs.text, "the traceback is logged, redacted"


def test_the_error_message_survives_a_failing_response_url(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> dict[str, str]:
        raise RuntimeError(LEAKY)

    monkeypatch.setattr("bot.decisions.parse_proposal", broken)
    bot.slack.fail_next("response_url", status=503)

    bot.client.command("/decide", "We launch", response_url=bot.slack.response_url())

    calls = bot.slack.wait_for("response_url", 2, timeout=10)
    assert [c.status for c in calls] == [503, 200]
    assert calls[-1].params["text"] == GENERIC_ERROR


def test_an_event_listener_that_raises_is_logged_and_acknowledged(
    bot: RunningBot, redacted_logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_kwargs: object) -> dict[str, str]:
        raise RuntimeError(LEAKY)

    monkeypatch.setattr("handlers.slack.blocks.decision_log.build_home_view", broken)

    assert bot.client.event(home_opened()).status == 200

    wait_for_log(redacted_logs, "narrative.errors")
    [logged] = [r for r in redacted_logs.records if r.name == "narrative.errors"]
    assert "what=app_home_opened team=T0TEST" in logged.getMessage()
    assert "hunter2" not in sent_to_slack(bot)
    assert BOT_TOKEN not in redacted_logs.text


def test_tokens_never_appear_in_logs_of_a_busy_bot(
    bot: RunningBot, redacted_logs: pytest.LogCaptureFixture
) -> None:
    """Debug logging of Slack's SDKs included: a request, an event, a retried Web API call."""
    bot.slack.fail_next("views.publish", status=503)
    assert bot.client.command("/narrative", "help").status == 200
    assert bot.client.event(home_opened()).status == 200
    bot.slack.wait_for("views.publish", 2, timeout=10)

    assert redacted_logs.records, "expected debug logging"
    assert BOT_TOKEN not in redacted_logs.text
    assert SIGNING_SECRET not in redacted_logs.text
    for record in redacted_logs.records:
        assert BOT_TOKEN not in record.getMessage()


def test_respond_retries_a_failing_response_url(bot: RunningBot) -> None:
    """Listeners answer later with Bolt's `respond()`; a 5xx or 429 on the response_url is
    retried like every Web API call, so the answer is not lost."""
    app = build_app(bot.settings, bot.core)

    @app.command("/probe")
    def probe(ack: Ack, respond: Respond) -> None:
        ack()
        respond(text="your answer", response_type="ephemeral")

    server = HttpServer(app, bot.core, host="127.0.0.1", port=0)
    server.start_in_thread()
    try:
        client = SignedClient(f"http://127.0.0.1:{server.port}/slack/events", SIGNING_SECRET)
        bot.slack.fail_next("response_url", status=503)
        bot.slack.fail_next("response_url", status=429, retry_after=0)
        reply = client.command("/probe", response_url=bot.slack.response_url())
        assert reply.status == 200
        calls = bot.slack.wait_for("response_url", 3, timeout=10)
    finally:
        server.close()
    assert [c.status for c in calls] == [503, 429, 200]
    assert calls[-1].params == {"text": "your answer", "response_type": "ephemeral", "_id": "r1"}


def test_a_timer_whose_slack_call_fails_is_kept_and_retried_until_slack_is_back(
    bot: RunningBot,
) -> None:
    """Slack down for longer than the client's retries: the timer stays in the database and
    runs again after its back-off; the message is posted once Slack answers."""
    client = build_client(bot.settings)
    bot.core.timers.register(
        "test_post",
        lambda t: client.chat_postMessage(channel="C0GENERAL", text=f"reminder {t.ref_id}"),
    )
    bot.slack.fail_always("chat.postMessage", status=500)
    t0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with freeze_time(t0, tick=True) as clock:
        with session_scope(bot.core.engine) as session:
            row = bot.core.timers.add(
                session=session, team_id="T0TEST", kind="test_post", ref_id=7, due_at=t0
            )
        timer_id = int(row.id or 0)
        assert bot.run_timers() == 1
        assert len(bot.slack.calls("chat.postMessage")) == 3, "one call and two retries"
        kept = timer(bot, timer_id)
        assert (kept.status, kept.attempts) == ("pending", 1)
        assert "internal_error" in (kept.last_error or "")
        assert BOT_TOKEN not in (kept.last_error or "")

        bot.slack.clear_faults()
        clock.move_to(t0 + RETRY_DELAYS[0] + timedelta(seconds=30))
        assert bot.run_timers() == 1
    assert [m["text"] for m in bot.slack.messages.values()] == ["reminder 7"]
    assert timer(bot, timer_id).status == "done"


def timer(bot: RunningBot, timer_id: int) -> Timer:
    with session_scope(bot.core.engine) as session:
        found = session.get(Timer, timer_id)
        assert found is not None
        return found


@pytest.fixture
def probe_app(bot: RunningBot) -> Iterator[tuple[App, SignedClient]]:
    """The real app with extra listeners a test registers, served over HTTP like `bot`."""
    app = build_app(bot.settings, bot.core)
    server = HttpServer(app, bot.core, host="127.0.0.1", port=0)
    server.start_in_thread()
    yield app, SignedClient(f"http://127.0.0.1:{server.port}/slack/events", SIGNING_SECRET)
    server.close()


def test_a_modal_submission_that_raises_shows_the_error_in_the_modal(
    bot: RunningBot, probe_app: tuple[App, SignedClient]
) -> None:
    app, client = probe_app

    @app.view("probe_modal")
    def submit(ack: Ack) -> None:
        raise RuntimeError(LEAKY)

    reply = client.view_submission("probe_modal", {})

    assert reply.status == 200
    answer = reply.json()
    assert answer["response_action"] == "update"
    assert GENERIC_ERROR in json.dumps(answer["view"])
    assert "hunter2" not in reply.body and BOT_TOKEN not in reply.body


def test_a_home_tab_button_that_raises_tells_the_user_in_a_direct_message(
    bot: RunningBot, probe_app: tuple[App, SignedClient]
) -> None:
    app, client = probe_app

    @app.action("probe_button")
    def press(ack: Ack) -> None:
        ack()
        raise RuntimeError(LEAKY)

    reply = client.block_action("probe_button", "1", view={"type": "home"})

    assert reply.status == 200
    [told] = bot.slack.wait_for("chat.postMessage")
    assert (told.params["channel"], told.params["text"]) == ("U0ALICE", GENERIC_ERROR)
    assert "hunter2" not in sent_to_slack(bot)


def test_a_command_that_fails_after_acknowledging_tells_the_user_once(
    bot: RunningBot, probe_app: tuple[App, SignedClient]
) -> None:
    app, client = probe_app

    @app.command("/probe")
    def probe(ack: Ack) -> None:
        ack("working on it")
        raise RuntimeError(LEAKY)

    runner = app._listener_runner  # type: ignore[attr-defined]
    handling = _Recording(runner.listener_error_handler)
    runner.listener_error_handler = handling
    reply = client.command("/probe", response_url=bot.slack.response_url())

    assert reply.status == 200 and "working on it" in reply.body
    [told] = bot.slack.wait_for("response_url")
    assert told.params["text"] == GENERIC_ERROR
    assert handling.done.wait(timeout=5)
    assert handling.raised == [], "the error handler itself failed"


class _Recording:
    """Wraps Bolt's listener error handler to record whether handling the error failed too."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.raised: list[BaseException] = []
        self.done = threading.Event()

    def handle(self, **kwargs: Any) -> None:
        try:
            self.inner.handle(**kwargs)
        except BaseException as exc:
            self.raised.append(exc)
            raise
        finally:
            self.done.set()
