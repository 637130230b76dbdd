"""Deliveries acted on lately, remembered in memory and written to the database behind the
answers: how a single process on SQLite recognises a replayed Slack request or a Teams
redelivery without a database write before each answer (SQLite has one write lock, and a write
per request queued every acknowledgement behind it). Several instances share PostgreSQL and ask
the database itself (`bot.housekeeping.first_delivery`) instead."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from bot.core import Core
from bot.housekeeping import recent_deliveries, remember_deliveries

log = logging.getLogger(__name__)

# Slack refuses a timestamp more than five minutes off; a delivery is remembered a while longer.
REPLAY_WINDOW = timedelta(minutes=10)


class RecentRequests:
    """The deliveries (keys starting with `prefix`) acted on in the last `window`, remembered in
    memory and written to the database behind the answers (about every FLUSH_SECONDS, and when
    the bot stops), so that a restarted process still knows those of its last minutes."""

    FLUSH_SECONDS = 0.5

    def __init__(
        self, core: Core, *, prefix: str = "request:", window: timedelta = REPLAY_WINDOW
    ) -> None:
        self._core = core
        self._window = window
        self._seen: OrderedDict[str, datetime] = OrderedDict()
        self._unwritten: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        now = core.clock.now()
        for team, key in recent_deliveries(core.engine, prefix=prefix, since=now - window):
            self._seen[f"{team}:{key}"] = now
        self._writer = threading.Thread(target=self._write_loop, name="deliveries", daemon=True)
        self._writer.start()
        core.on_close(self.close)

    def first_delivery(self, team: str, key: str, now: datetime) -> bool:
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now - self._window:
                self._seen.popitem(last=False)
            if f"{team}:{key}" in self._seen:
                return False
            self._seen[f"{team}:{key}"] = now
            self._unwritten.append((team, key))
            return True

    def _write(self) -> None:
        with self._lock:
            batch, self._unwritten = self._unwritten, []
        if batch:
            try:
                remember_deliveries(self._core.engine, deliveries=batch, now=self._core.clock.now())
            except Exception:  # noqa: BLE001 - memory still has them; the next pass tries again
                log.warning(
                    "could not record %d deliveries; trying again", len(batch), exc_info=True
                )
                with self._lock:
                    self._unwritten[:0] = batch

    def _write_loop(self) -> None:
        while not self._stop.wait(self.FLUSH_SECONDS):
            self._write()

    def close(self) -> None:
        self._stop.set()
        self._writer.join(timeout=5)
        self._write()
