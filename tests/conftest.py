"""Shared fixtures: real SQLite files, the real PostgreSQL server, the Slack test double and the
real HTTP app serving signed requests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bot.config import Settings, load_settings
from bot.core import Core, build_core
from handlers.slack.app import build_app, build_client
from handlers.web import HttpServer
from storage.db import make_engine, migrate
from tests.signed import SignedClient
from tests.slack_double import SlackDouble

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
TEAM = "T0TEST"


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL at {PG_ADMIN_URL} is not reachable ({type(exc).__name__})"


_PG_SKIP = _postgres_available()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'narrative.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    name = f"narrative_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    eng = make_engine(sqlite_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def slack() -> Iterator[SlackDouble]:
    double = SlackDouble()
    double.start()
    yield double
    double.stop()


def bot_env(slack: SlackDouble, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


@dataclass
class RunningBot:
    """The real Bolt app served over real HTTP (aiohttp) against the Slack test double."""

    slack: SlackDouble
    database_url: str
    env: dict[str, str]
    settings: Settings = field(init=False)
    core: Core = field(init=False)
    server: HttpServer = field(init=False)
    client: SignedClient = field(init=False)

    def __post_init__(self) -> None:
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/slack/events"

    def start(self) -> None:
        self.settings = load_settings(self.env, mode="http", port=0)
        self.core = build_core(self.settings)
        app = build_app(self.settings, self.core, client=build_client(self.settings))
        self.server = HttpServer(app, self.core, host="127.0.0.1", port=0)
        self.server.start_in_thread()
        self.client = SignedClient(
            self.url, SIGNING_SECRET, team_id=TEAM, response_base=f"{self.slack.base_url}/response"
        )

    def stop(self) -> None:
        self.server.close()
        self.core.close()

    def restart(self) -> None:
        """Stop everything and start again on the same database, as after a crash or deploy."""
        self.stop()
        self.start()

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every request sent so far is fully handled (listeners and deferred work):
        the exact moment to assert that something did not happen."""
        from handlers.slack.work import wait_idle

        assert wait_idle(self.core, timeout), f"the bot was still busy after {timeout}s"

    def run_timers(self) -> int:
        """Run every timer due at the (possibly frozen) current time, as the scheduler would."""
        return self.core.timers.run_due()


@pytest.fixture
def bot(slack: SlackDouble, sqlite_url: str) -> Iterator[RunningBot]:
    running = RunningBot(slack, sqlite_url, bot_env(slack, sqlite_url))
    yield running
    running.stop()


@pytest.fixture
def pg_bot(slack: SlackDouble, pg_url: str) -> Iterator[RunningBot]:
    running = RunningBot(slack, pg_url, bot_env(slack, pg_url))
    yield running
    running.stop()
