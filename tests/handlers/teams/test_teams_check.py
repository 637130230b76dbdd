"""`narrative-bot check` for Teams. Getting a real token needs Microsoft Entra, which tests never
reach; MSAL accepts only an https authority, so no loopback token endpoint can stand in for it.
What is tested: anonymous mode's lines, and the words for Entra's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET, TEAMS_TENANT_ID
from handlers.teams.check import explain
from tests.process import run_cli


def test_check_in_anonymous_mode_says_what_it_serves(tmp_path: Path, sqlite_url: str) -> None:
    result = run_cli(
        ["check"],
        cwd=tmp_path,
        env={"TEAMS_ANONYMOUS": "true", "HOST": "127.0.0.1", "DATABASE_URL": sqlite_url},
    )
    assert result.returncode == 0, result.stderr
    assert "teams" in result.stdout and "anonymous" in result.stdout
    assert "POST /api/messages on 127.0.0.1:3000" in result.stdout
    assert "slack" not in result.stdout.split("database")[1].lower()


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (
            "ValueError: {'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid "
            "client secret provided.'}",
            TEAMS_CLIENT_SECRET,
        ),
        ("ValueError: AADSTS7000222: The provided client secret keys are expired.", "expired"),
        (
            "ValueError: AADSTS700016: Application with identifier 'x' was not found",
            TEAMS_CLIENT_ID,
        ),
        ("ValueError: AADSTS90002: Tenant 'y' not found.", TEAMS_TENANT_ID),
        ("ConnectionError: Max retries exceeded with url", "Could not reach Microsoft Entra"),
    ],
)
def test_entra_refusals_are_said_in_words(failure: str, words: str) -> None:
    said = explain(failure)
    assert words in said
    assert "{" not in said  # never the raw answer


def test_an_unknown_failure_names_every_setting() -> None:
    said = explain("ValueError: something else")
    assert TEAMS_CLIENT_ID in said and TEAMS_CLIENT_SECRET in said and TEAMS_TENANT_ID in said
