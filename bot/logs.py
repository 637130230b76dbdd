"""Logging set-up. Tokens and secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable

TOKEN_PATTERN = re.compile(r"xox[abposer]-[0-9A-Za-z-]+|xapp-[0-9A-Za-z-]+")


class RedactSecrets(logging.Filter):
    """Replaces Slack tokens (and any configured secret) in messages and arguments."""

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
        cleaned = self._clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
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


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    secrets = list(secrets)
    install_redaction(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, root.level))
