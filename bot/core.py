"""The running product: database, clock and timers, handed to every platform adapter."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from bot import decisions, housekeeping, meetings, reflections
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.port import ChatPlatform
from bot.timers import TimerService
from bot.vocabulary import PlatformName
from storage import workspaces
from storage.db import make_engine, migrate, ping, read_scope, session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Core:
    engine: Engine
    clock: Clock
    timers: TimerService
    admin_user_ids: frozenset[str] = field(default_factory=frozenset)

    closers: list[Callable[[], None]] = field(default_factory=list)
    # The chat platforms this bot serves, by name (`bot.vocabulary.PlatformName`).
    platforms: dict[str, ChatPlatform] = field(default_factory=dict)

    closed: bool = False
    # The platform of each workspace seen or looked up by this process (a workspace never
    # moves, so this is never stale).
    _workspaces: dict[str, str] = field(default_factory=dict)
    _first_count: int = 0
    _shared: dict[str, Any] = field(default_factory=dict)
    _shared_lock: threading.Lock = field(default_factory=threading.Lock)

    def shared(
        self, name: str, make: Callable[[], T], *, close: Callable[[T], None], first: bool = False
    ) -> T:
        """The one `name` object of this running bot (a thread pool, an update queue): made at
        its first use, closed with `close` when the bot stops (see `on_close` for `first`)."""
        with self._shared_lock:
            if name in self._shared:
                return self._shared[name]  # type: ignore[no-any-return]
            made = make()
            self._shared[name] = made
        self.on_close(lambda: close(made), first=first)
        return made

    def database_answers(self) -> bool:
        """Whether the database answers a trivial query now (for `/healthz`)."""
        return ping(self.engine)

    def add_platform(self, platform: ChatPlatform) -> None:
        self.platforms[platform.name] = platform

    def platform_for(self, team_id: str) -> ChatPlatform:
        """The platform a workspace lives on (what timers and background work talk to): the
        only one registered, else the one stored for the workspace (see `record_workspace`)."""
        if len(self.platforms) == 1:
            return next(iter(self.platforms.values()))
        name = self._workspaces.get(team_id)
        if name is None:
            with read_scope(self.engine) as session:
                name = workspaces.platform_of(session=session, team_id=team_id)
            if name is not None:
                self._workspaces[team_id] = name
        if name is not None and name in self.platforms:
            return self.platforms[name]
        raise LookupError(
            f"workspace {team_id!r} lives on {name or 'no known platform'}, which this bot does "
            f"not serve (it serves {', '.join(sorted(self.platforms)) or 'none'})"
        )

    def record_workspace(self, team_id: str, platform: PlatformName) -> None:
        """Note that `team_id` lives on `platform`: a platform adapter calls this for every
        request, and the database is written once per workspace and process."""
        if not team_id or team_id in self._workspaces:
            return
        with session_scope(self.engine) as session:
            stored = workspaces.record_workspace(
                session=session, team_id=team_id, platform=platform, now=self.clock.now()
            )
        if stored != platform:
            log.warning("workspace %r lives on %s, not %s", team_id, stored, platform)
        self._workspaces[team_id] = stored

    def on_close(self, closer: Callable[[], None], *, first: bool = False) -> None:
        """Run `closer` when the bot stops, before timers and the database (e.g. to deliver
        message updates still waiting for their rate-limit slot). `first` closers run before
        the others (letting acknowledged work finish, which may still ask for updates).
        Registered after the bot stopped (by a request still finishing), it runs at once."""
        if self.closed:
            closer()
            return
        if first:
            self.closers.insert(self._first_count, closer)
            self._first_count += 1
        else:
            self.closers.append(closer)

    def close(self) -> None:
        self.closed = True
        for closer in self.closers:
            try:
                closer()
            except Exception:  # noqa: BLE001 - stopping must go on
                log.exception("shutdown step failed")
        self.closers.clear()
        self._first_count = 0
        self.timers.shutdown()
        self.engine.dispose()


def build_core(
    settings: Settings, *, clock: Clock | None = None, worker_id: str | None = None
) -> Core:
    """Open the database, apply migrations and prepare (not start) the timers."""
    engine = make_engine(settings.database_url)
    migrate(engine)
    clock = clock or SystemClock()
    timers = TimerService(
        engine=engine, clock=clock, sweep_seconds=settings.timer_sweep_seconds, worker_id=worker_id
    )
    housekeeping.register(timers)
    core = Core(engine=engine, clock=clock, timers=timers, admin_user_ids=settings.admin_user_ids)
    reflections.register_timers(core)
    decisions.register_timers(core)
    meetings.register_timers(core)
    # Imported here: feature modules use `Core` themselves.
    from bot import reviews, uninstall

    reviews.register_timers(core)
    uninstall.register(core, retention=timedelta(days=settings.uninstalled_retention_days))
    return core
