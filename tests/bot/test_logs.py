"""Tokens and secrets never reach a log line, whichever logger or handler writes it."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.logs import (
    CONTENT_LOGGERS,
    MAX_LOG_CHARS,
    RedactSecrets,
    install_redaction,
    setup_logging,
)

TOKEN = "xoxb-1234-5678-abcdefABCDEF"
APP_TOKEN = "xapp-1-A0-123-abcdef"
SECRET = "s3cr3t-signing-secret"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    factory = logging.getLogRecordFactory()
    # setup_logging also sets these loggers' levels: later tests expect them untouched.
    named = {
        name: logging.getLogger(name).level for name in (*CONTENT_LOGGERS, "apscheduler", "alembic")
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.setLogRecordFactory(factory)
    for name, named_level in named.items():
        logging.getLogger(name).setLevel(named_level)


def test_filter_redacts_message_arguments_and_traceback() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "token %s secret %s", (TOKEN, SECRET), None
    )
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    RedactSecrets([SECRET]).filter(record)
    assert record.getMessage() == "token [redacted-token] secret [redacted]"
    assert TOKEN not in (record.exc_text or "")
    assert "[redacted-token]" in (record.exc_text or "")


def test_setup_logging_redacts_records_of_every_logger(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG", secrets=[SECRET])
    # A library logger that does not propagate to the root, with its own handler.
    stream = io.StringIO()
    private = logging.getLogger("some.library")
    private.propagate = False
    private.addHandler(logging.StreamHandler(stream))
    try:
        for name in ("slack_sdk.web.base_client", "slack_bolt.App", "waitress", "narrative.x"):
            logging.getLogger(name).warning("calling with %s and %s", TOKEN, SECRET)
        logging.getLogger("apscheduler.executors").error("job %s", APP_TOKEN)
        try:
            raise ValueError(f"bad {TOKEN}")
        except ValueError:
            logging.getLogger("bot.timers").exception("timer failed")
        private.error("private %s %s", TOKEN, SECRET)
    finally:
        private.handlers.clear()
        private.propagate = True

    written = capsys.readouterr().err + stream.getvalue()
    assert "calling with [redacted-token] and [redacted]" in written
    assert "ValueError: bad [redacted-token]" in written
    assert "private [redacted-token] [redacted]" in written
    for secret in (TOKEN, APP_TOKEN, SECRET):
        assert secret not in written


def test_redaction_survives_a_malformed_log_call(restore_logging: None) -> None:
    install_redaction([SECRET])
    # Wrong number of arguments: logging reports it when formatting; creating the record
    # must not raise into the caller.
    record = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "%s %s", (1,), None)
    assert record.msg == "%s %s"


def test_install_redaction_can_be_undone(restore_logging: None) -> None:
    before = logging.getLogRecordFactory()
    undo = install_redaction([SECRET])
    again = install_redaction([SECRET, "another-secret"])
    record = logging.getLogger("x").makeRecord(
        "x", logging.INFO, __file__, 1, "%s %s", (SECRET, "another-secret"), None
    )
    assert record.getMessage() == "[redacted] [redacted]"
    again()
    undo()
    assert logging.getLogRecordFactory() is before


def test_every_log_line_is_bounded(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("INFO")
    logging.getLogger("narrative.x").warning("search for %s", "w" * 40_000)
    try:
        raise ValueError("v" * 40_000)
    except ValueError:
        logging.getLogger("narrative.y").exception("failed on %s", "e" * 40_000)
    written = capsys.readouterr().err
    assert "search for www" in written and "failed on eee" in written
    assert max(len(line) for line in written.splitlines()) <= MAX_LOG_CHARS + 200
    assert len(written) < 4 * MAX_LOG_CHARS


def test_json_lines_are_redacted_and_bounded_as_text_lines(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    setup_logging("INFO", secrets=[SECRET], log_format="json")
    try:
        raise RuntimeError(f"failed with {TOKEN}")
    except RuntimeError:
        logging.getLogger("narrative.test").exception(
            "token %s secret %s long %s", TOKEN, SECRET, "x" * (3 * MAX_LOG_CHARS)
        )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    record = json.loads(lines[0])
    assert record["level"] == "ERROR" and record["logger"] == "narrative.test"
    assert record["message"].startswith("token [redacted-token] secret [redacted] long x")
    assert len(record["message"]) < MAX_LOG_CHARS + 100
    assert TOKEN not in lines[0] and SECRET not in lines[0]
    assert "[redacted-token]" in record["traceback"]
