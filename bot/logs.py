"""Logging set-up. Tokens and secrets never reach a log line, no line is endless, and the Slack
libraries' debug output (which carries message text) stays off at every level."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Callable, Iterable

TOKEN_PATTERN = re.compile(r"xox[abposer]-[0-9A-Za-z-]+|xapp-[0-9A-Za-z-]+")
# The longest message a record keeps (a traceback keeps a few times more): a search of 40,000
# characters must not become a log line of 120,000.
MAX_LOG_CHARS = 4_000
MAX_TRACEBACK_CHARS = 4 * MAX_LOG_CHARS
# Loggers whose DEBUG records carry request and message bodies (the Web API calls' parameters,
# Bolt's answers): they stay at INFO or above whatever LOG_LEVEL says.
CONTENT_LOGGERS = ("slack_sdk", "slack_bolt", "narrative.slack_sdk", "narrative.bolt")


def _bound(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} characters cut]"


class RedactSecrets(logging.Filter):
    """Replaces Slack tokens (and any configured secret) in messages and arguments, and cuts
    messages and tracebacks to a bound."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 6]

    def _clean(self, text: str) -> str:
        text = TOKEN_PATTERN.sub("[redacted-token]", text)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed call is reported by the handler later
            return True
        cleaned = _bound(self._clean(message), MAX_LOG_CHARS)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            lines = self._clean(record.exc_text).split("\n")
            bounded = "\n".join(_bound(line, MAX_LOG_CHARS) for line in lines)
            record.exc_text = _bound(bounded, MAX_TRACEBACK_CHARS)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class _RedactingFactory:
    """Redacts each record as it is made, before any handler (ours, a library's, pytest's) sees
    it: a filter on the root handler alone misses loggers that do not propagate."""

    def __init__(self, base: Callable[..., logging.LogRecord], redact: RedactSecrets) -> None:
        self.base = base
        self.redact = redact

    def __call__(self, *args: object, **kwargs: object) -> logging.LogRecord:
        record = self.base(*args, **kwargs)
        self.redact.filter(record)
        return record


def install_redaction(secrets: Iterable[str] = ()) -> Callable[[], None]:
    """Redact tokens and `secrets` in every log record of the process; returns the undo."""
    current = logging.getLogRecordFactory()
    base = current.base if isinstance(current, _RedactingFactory) else current
    logging.setLogRecordFactory(_RedactingFactory(base, RedactSecrets(secrets)))

    def undo() -> None:
        logging.setLogRecordFactory(current)

    return undo


class JsonFormatter(logging.Formatter):
    """One JSON object a line, for log collectors: time (UTC, ISO 8601), level, logger,
    message, and the traceback when there is one. The record is redacted and bounded before it
    gets here, as for the text format."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        from datetime import UTC, datetime

        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


# Loggers that report routine steps at INFO (Alembic's plugins and each migration): at a
# normal start they would look like errors among the few lines a person reads.
QUIET_LOGGERS = ("alembic",)


def setup_logging(level: str, secrets: Iterable[str] = (), log_format: str = "text") -> None:
    secrets = list(secrets)
    install_redaction(secrets)
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(
            root.level if root.level <= logging.DEBUG else max(logging.WARNING, root.level)
        )
    for name in CONTENT_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
