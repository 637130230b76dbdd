"""The bot's own token on the way out: `TeamsPlatform` wired as `build_teams` wires it, with the
app's credentials, gets its token from the Entra double over HTTPS (MSAL, client credentials),
sends it to the connector service (the Teams double), and keeps using it while it is valid."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.config import (
    TEAMS_AUTHORITY,
    TEAMS_CLIENT_ID,
    TEAMS_CLIENT_SECRET,
    TEAMS_TENANT_ID,
    load_settings,
)
from bot.port import PostFailed
from bot.views import notice
from handlers.teams.activity import parse
from handlers.teams.connector import Connector
from handlers.teams.platform import TeamsPlatform
from handlers.teams.runtime import token_source
from tests.entra_double import EntraDouble
from tests.process import free_port
from tests.teams_double import CHANNEL, TENANT, TeamsDouble, activity

CLIENT_ID = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"


@pytest.fixture
def platform(
    teams: TeamsDouble, entra: EntraDouble, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TeamsPlatform]:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.ca_file))
    # Anything but the double (MSAL's instance discovery, say) meets a closed loopback port.
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    settings = load_settings(
        {
            TEAMS_CLIENT_ID: CLIENT_ID,
            TEAMS_CLIENT_SECRET: "the-secret-value",
            TEAMS_TENANT_ID: entra.tenant,
            TEAMS_AUTHORITY: entra.authority,
            "HOST": "127.0.0.1",
        }
    )
    assert settings.teams is not None
    connector = Connector(token_source(settings.teams), timeout=5.0)
    made = TeamsPlatform(connector, interval=0.3)
    made.directory.saw(parse(json.dumps(activity(teams, "message", text="hi")).encode()))
    yield made
    made.close()
    connector.close()


def test_posts_carry_the_token_entra_gave_and_it_is_asked_for_once(
    teams: TeamsDouble, entra: EntraDouble, platform: TeamsPlatform
) -> None:
    platform.post(TENANT, CHANNEL, notice("first"))
    platform.post(TENANT, CHANNEL, notice("second"))
    posts = teams.posts(CHANNEL)
    assert [p.authorization for p in posts] == ["Bearer entra-double-token-1"] * 2
    [grant] = entra.token_requests()  # MSAL's cache answered the second post
    assert grant.form["client_id"] == CLIENT_ID
    assert grant.form["scope"].split() == ["https://api.botframework.com/.default"]


def test_a_refused_token_is_a_failed_post_and_nothing_reaches_teams(
    teams: TeamsDouble, entra: EntraDouble, platform: TeamsPlatform
) -> None:
    entra.refuse("AADSTS7000222")
    with pytest.raises(PostFailed):
        platform.post(TENANT, CHANNEL, notice("hello"))
    assert teams.posts(CHANNEL) == []
    assert len(entra.token_requests()) == 1
