"""Starting the playground: the real core on SQLite (a throwaway file unless `--db` is given),
the playground platform and clock, and the web server on loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.core import Core, build_core
from bot.vocabulary import PlatformName
from handlers.playground.platform import TEAM, PlaygroundClock, PlaygroundPlatform
from handlers.playground.server import Playground

NO_SIGN_IN = (
    "warning: the playground has no sign-in; anyone who can reach {host}:{port} can act as "
    "anyone in it. Use it on 127.0.0.1 unless you mean to share it."
)


def settings_for(database_url: str) -> Settings:
    """What the core needs: the database. No token, no setting."""
    return Settings(
        slack_bot_token="",
        slack_signing_secret=None,
        slack_app_token=None,
        database_url=database_url,
        port=0,
        log_level="INFO",
        slack_api_url="http://127.0.0.1:9/api/",
        mode="http",
        timer_sweep_seconds=60.0,
        admin_user_ids=frozenset(),
    )


@dataclass
class Started:
    playground: Playground
    core: Core
    database: Path


def build(db: Path | None = None, *, now: datetime | None = None) -> Started:
    """The core, the platform and the clock; `now` starts the clock elsewhere than today."""
    if db is None:
        db = Path(tempfile.mkdtemp(prefix="narrative-playground-")) / "playground.db"
    offset = (now - datetime.now(UTC)) if now is not None else None
    clock = PlaygroundClock(lambda: datetime.now(UTC))
    if offset is not None:
        clock.advance(offset)
    core = build_core(settings_for(f"sqlite:///{db}"), clock=clock)
    platform = PlaygroundPlatform(clock)
    core.add_platform(platform)
    core.record_workspace(TEAM, PlatformName.PLAYGROUND)
    return Started(Playground(core, platform, clock), core, db)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_warning(host: str, port: int) -> str | None:
    """The warning printed when the playground listens beyond this machine."""
    return None if is_loopback(host) else NO_SIGN_IN.format(host=host, port=port)


def serve(*, host: str, port: int, db: Path | None, demo: bool) -> int:
    if demo and db is not None and db.exists():
        # The demo month is played from its first day: into a log that already has a history,
        # it would interleave with it.
        print(f"--demo fills a new database only; {db} exists, so it is opened as it is.")
        demo = False
    started = build(db)
    if demo:
        from handlers.playground.demo import fill

        print("Filling the playground with a month of decisions…")
        fill(started.playground)
    warned = host_warning(host, port)
    if warned is not None:
        print(warned)
    listening = (
        f"Narrative playground: http://{host}:{port}  (database {started.database})\n"
        "Press Ctrl+C to stop."
    )
    try:
        # aiohttp prints once it listens: the address is shown only when it is true.
        web.run_app(
            started.playground.app(), host=host, port=port, print=lambda _said: print(listening)
        )
    except OSError as exc:  # the port is taken, or the address is not this machine's
        print(
            f"narrative-bot: cannot listen on {host}:{port} ({exc.strerror}); try --port",
            file=sys.stderr,
        )
        return 2
    finally:
        started.core.close()
    return 0


@contextmanager
def serving(started: Started) -> Iterator[str]:
    """Serve `started` on 127.0.0.1 (a free port) from a thread; yields its address. For the
    browser tests, the screenshots and the benchmark. The core is closed afterwards."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="playground-server", daemon=True)
    thread.start()
    runner = web.AppRunner(started.playground.app())

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    url = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield url
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        started.core.close()
