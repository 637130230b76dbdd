"""What installs and deploys Narrative: dependency bounds, extras, the Dockerfile and the
compose file. No image registry is reachable here, so the image is checked, not built."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def project() -> dict:  # type: ignore[type-arg]
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def name_of(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower()


def test_dependencies_are_bounded_and_postgresql_is_an_extra() -> None:
    deps = project()["dependencies"]
    extras = project()["optional-dependencies"]
    # Data that only grows (time zones) has no upper bound; everything else has one.
    for requirement in deps:
        if name_of(requirement) != "tzdata":
            assert "<" in requirement or "==" in requirement, requirement
    assert any(name_of(r) == "tzdata" for r in deps)
    sqlmodel = next(r for r in deps if name_of(r) == "sqlmodel")
    assert "<0.1" in sqlmodel
    assert not any(name_of(r) == "psycopg" for r in deps), "a SQLite user needs no driver"
    assert [name_of(r) for r in extras["postgresql"]] == ["psycopg"]
    assert "narrative-bot[postgresql]" in extras["test"]
    ruff = next(r for r in extras["test"] if name_of(r) == "ruff")
    assert "==" in ruff, "the linter CI runs is pinned"
    for requirement in extras["test"]:
        if name_of(requirement) != "narrative-bot":
            assert "<" in requirement or "==" in requirement, requirement
    assert 'pip install --quiet -e ".[test]"' in (REPO / ".ci" / "run").read_text()


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) per instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (REPO / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_dockerfile_runs_the_bot_as_a_user_with_a_health_check() -> None:
    steps = dockerfile()
    assert re.fullmatch(r"python:3\.1[1-9]-slim", steps[0][1]), steps[0]
    kinds = [k for k, _ in steps]
    user = [a for k, a in steps if k == "USER"]
    assert user and user[-1] not in ("root", "0"), "runs as a non-root user"
    last_run = max(i for i, k in enumerate(kinds) if k == "RUN")
    assert kinds.index("USER") > last_run, "nothing runs as root after USER"
    health = " ".join(a for k, a in steps if k == "HEALTHCHECK")
    assert "/healthz" in health and "--interval" in health
    cmd = [a for k, a in steps if k == "CMD"][-1]
    assert shlex.split(cmd.replace("[", "").replace("]", "").replace(",", " "))[:2] == [
        "narrative-bot",
        "run",
    ]
    for k, a in steps:
        if k == "COPY":
            for source in a.split()[:-1]:
                assert (REPO / source).exists(), source
    assert ".env" in (REPO / ".dockerignore").read_text().split()


def test_compose_runs_the_bot_on_postgresql() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    assert bot["build"] == "."
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert "@db:5432/" in bot["environment"]["DATABASE_URL"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert all(p.startswith("127.0.0.1:") for p in bot["ports"]), "only the local TLS proxy"
    assert db["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
