"""Names of people and channels as the bot last saw them, so that exports (from chat or from the
command line) show names; ids only where nothing is known.

Platform adapters report names they see (`NameBook.saw`). Only changes reach the database, on a
thread of their own: a request never waits for that write (on SQLite every write queues behind
the single write lock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy.engine import Engine

from bot.core import Core
from storage import names as name_rows
from storage.db import read_scope, session_scope

log = logging.getLogger(__name__)

PERSON = name_rows.PERSON
CHANNEL = name_rows.CHANNEL
PROFILE = name_rows.PROFILE
HANDLE = name_rows.HANDLE
# Names remembered in memory per process before the cache starts over.
CACHE_LIMIT = 50_000


class NameBook:
    """Writes names it has not seen yet (or seen differently) to the database."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._seen: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="names")

    def saw(
        self,
        *,
        team_id: str,
        kind: str,
        names: Mapping[str, str],
        source: str = PROFILE,
    ) -> Future[None] | None:
        """Remember `names` (id -> name); returns the pending write, or None when nothing
        changed."""
        if not team_id:
            return None
        fresh: dict[str, str] = {}
        with self._lock:
            if len(self._seen) > CACHE_LIMIT:
                self._seen.clear()
            for ref, name in names.items():
                if not ref or not name or name == ref:
                    continue
                key = (team_id, kind, ref)
                before = self._seen.get(key)
                if before == (name, source) or (
                    before is not None and source == HANDLE and before[1] == PROFILE
                ):
                    continue
                self._seen[key] = (name, source)
                fresh[ref] = name
        if not fresh:
            return None
        try:
            return self._writer.submit(self._store, team_id, kind, fresh, source)
        except RuntimeError:  # stopping: names are a convenience, never a failure
            return None

    def _store(self, team_id: str, kind: str, names: dict[str, str], source: str) -> None:
        try:
            with session_scope(self.core.engine) as session:
                name_rows.remember_names(
                    session=session,
                    team_id=team_id,
                    kind=kind,
                    names=names,
                    source=source,
                    now=self.core.clock.now(),
                )
        except Exception:  # noqa: BLE001 - a name not stored is looked up again next time
            log.warning("could not store %d %s names (team %s)", len(names), kind, team_id)
            with self._lock:
                for ref in names:
                    self._seen.pop((team_id, kind, ref), None)

    def settle(self) -> None:
        """Wait until every name reported so far is stored."""
        self._writer.submit(lambda: None).result()

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def name_book(core: Core) -> NameBook:
    """The running bot's NameBook."""
    return core.shared("names", lambda: NameBook(core), close=NameBook.close)


def known_names(engine: Engine, *, team_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """(people, channels) of the workspace as last seen: id -> name."""
    with read_scope(engine) as session:
        people = name_rows.known_names(session=session, team_id=team_id, kind=PERSON)
        channels = name_rows.known_names(session=session, team_id=team_id, kind=CHANNEL)
    return people, channels
