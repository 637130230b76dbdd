"""`narrative-bot check` for Teams: get the bot's token as it will at run time and say what is
wrong in words."""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from bot.config import (
    README_TEAMS_APP,
    TEAMS_AUTHORITY,
    TEAMS_CLIENT_ID,
    TEAMS_CLIENT_SECRET,
    TEAMS_TENANT_ID,
    ConfigError,
    Settings,
)
from handlers.teams.connector import TokenRefused
from handlers.teams.runtime import token_source

# Microsoft Entra's error codes (AADSTS…) for what a person can fix here.
_ENTRA_ERRORS = (
    (
        "AADSTS7000215",
        f"the client secret is wrong: copy the secret's Value (not its Secret ID) "
        f"into {TEAMS_CLIENT_SECRET}",
    ),
    (
        "AADSTS7000222",
        f"the client secret has expired: make a new one and put it in {TEAMS_CLIENT_SECRET}",
    ),
    (
        "AADSTS700016",
        f"no application with this id in that tenant: check {TEAMS_CLIENT_ID} "
        f"(the Application (client) ID) and {TEAMS_TENANT_ID}",
    ),
    (
        "AADSTS90002",
        f"the tenant does not exist: check {TEAMS_TENANT_ID} (the Directory (tenant) ID)",
    ),
    ("AADSTS900023", f"{TEAMS_TENANT_ID} is not a tenant id or domain"),
    ("AADSTS50049", f"{TEAMS_TENANT_ID} is not a tenant id or domain"),
)


def explain(failure: str, host: str = "login.microsoftonline.com") -> str:
    """A token failure in words: what Entra (at `host`) said, and what to change."""
    for code, words in _ENTRA_ERRORS:
        if code in failure:
            return f"Microsoft Entra refused the bot's credentials ({code}): {words}."
    if "Unable to get authority configuration" in failure:
        # MSAL's words when the tenant's OpenID discovery is refused (Entra: AADSTS90002).
        return (
            f"Microsoft Entra does not know the tenant: check {TEAMS_TENANT_ID} (the Directory "
            f"(tenant) ID), and {TEAMS_AUTHORITY} if set."
        )
    if "CERTIFICATE_VERIFY_FAILED" in failure or "SSLError" in failure:
        return (
            f"The certificate of {host} is not trusted, so the bot did not ask it for a token: "
            f"if {TEAMS_AUTHORITY} names a service whose certificate a private CA signed, put "
            "that CA in the file REQUESTS_CA_BUNDLE names (or fix the proxy that intercepts "
            "HTTPS)."
        )
    if "ConnectionError" in failure or "Max retries" in failure or "timed out" in failure:
        return (
            f"Could not reach Microsoft Entra ({host}) to get a token: check the network and "
            "any proxy settings (HTTPS_PROXY)."
        )
    return (
        f"Microsoft Entra did not give the bot a token; check {TEAMS_CLIENT_ID}, "
        f"{TEAMS_CLIENT_SECRET} and {TEAMS_TENANT_ID}."
    )


def check_teams(settings: Settings) -> str:
    """The line `check` prints for Teams; ConfigError (in words) when no token is had."""
    teams = settings.teams
    assert teams is not None
    endpoint = f"serves POST /api/messages on {settings.host}:{settings.port}"
    if teams.anonymous:
        return f"anonymous (no token to check; loopback only); {endpoint}"
    host = urlparse(teams.authority).hostname if teams.authority else None
    host = host or "login.microsoftonline.com"
    try:
        asyncio.run(token_source(teams)("https://smba.trafficmanager.net/teams/"))
    except Exception as exc:  # noqa: BLE001 - every failure is explained, none shown raw
        failure = exc.entra if isinstance(exc, TokenRefused) else f"{type(exc).__name__}: {exc}"
        raise ConfigError(f"{explain(failure, host)} See {README_TEAMS_APP}.") from None
    return (
        f"ok: the bot got a token for app {teams.client_id}; {endpoint}; set the messaging "
        "endpoint to https://YOUR-HOST/api/messages in the Azure Bot's configuration"
    )
