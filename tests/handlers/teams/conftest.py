"""A real bot serving Teams over HTTP on loopback, against the Teams double."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.core import Core, build_core
from handlers.teams.app import TeamsBot
from handlers.teams.runtime import build_teams
from handlers.web import HttpServer
from tests.entra_double import EntraDouble
from tests.teams_double import TeamsDouble


@dataclass
class TeamsBotRunning:
    double: TeamsDouble
    database_url: str
    extra: dict[str, str] = field(default_factory=dict)
    update_interval: float = 0.05
    files_dir: Path | None = None  # files offered with Teams' file consent card
    settings: Settings = field(init=False)
    core: Core = field(init=False)
    teams: TeamsBot = field(init=False)
    server: HttpServer = field(init=False)

    def __post_init__(self) -> None:
        env = {"TEAMS_ANONYMOUS": "true", "HOST": "127.0.0.1", "DATABASE_URL": self.database_url}
        env.update(self.extra)
        self.settings = load_settings(env, port=0)
        self.core = build_core(self.settings)
        self.teams = build_teams(
            self.settings,
            self.core,
            timeout=2.0,
            update_interval=self.update_interval,
            files_dir=self.files_dir,
        )
        self.server = HttpServer(None, self.core, host="127.0.0.1", port=0, teams=self.teams)
        self.server.start_in_thread()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}/api/messages"

    def send(self, activity: dict[str, Any]) -> tuple[int, Any]:
        return self.double.send(self.url, activity)

    def wait_idle(self) -> None:
        assert self.teams.answers.wait_idle(10.0)

    def stop(self) -> None:
        self.server.close()
        self.core.close()


@pytest.fixture
def teams() -> Iterator[TeamsDouble]:
    double = TeamsDouble()
    double.start()
    yield double
    double.stop()


@pytest.fixture
def teams_bot(teams: TeamsDouble, sqlite_url: str) -> Iterator[TeamsBotRunning]:
    running = TeamsBotRunning(teams, sqlite_url)
    yield running
    running.stop()


@pytest.fixture
def entra(tmp_path: Path) -> Iterator[EntraDouble]:
    """Microsoft Entra over HTTPS on loopback; its CA is in `entra.ca_file`."""
    double = EntraDouble(tmp_path)
    double.start()
    yield double
    double.stop()
