"""With the app's credentials, an activity without a valid Bot Framework token gets 401 and
changes nothing. (A well-formed token would be checked against Microsoft's signing keys, which
tests never reach: only tokens refused before that are sent here.)"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from bot.config import TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET, TEAMS_TENANT_ID
from tests.handlers.teams.conftest import TeamsBotRunning
from tests.teams_double import TeamsDouble, mention_message


@pytest.fixture
def guarded(teams: TeamsDouble, sqlite_url: str) -> Iterator[TeamsBotRunning]:
    running = TeamsBotRunning(
        teams,
        sqlite_url,
        extra={
            "TEAMS_ANONYMOUS": "false",
            TEAMS_CLIENT_ID: "00000000-0000-0000-0000-00000000000a",
            TEAMS_CLIENT_SECRET: "a-real-looking-secret",
            TEAMS_TENANT_ID: "00000000-0000-0000-0000-00000000000b",
        },
    )
    yield running
    running.stop()


@pytest.mark.parametrize(
    "authorization", [None, "", "Basic abc", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c"]
)
def test_no_valid_token_is_401_and_changes_nothing(
    guarded: TeamsBotRunning, authorization: str | None
) -> None:
    body = json.dumps(mention_message(guarded.double, "decide We launch")).encode()
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(guarded.url, data=body, headers=headers, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert guarded.double.calls == []
