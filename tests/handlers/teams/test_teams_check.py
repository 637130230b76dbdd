"""`narrative-bot check` for Teams: anonymous mode's lines, the words for Entra's refusals, and
the real token path (MSAL in the child process, over HTTPS) against the Entra double on loopback,
reached through the authority setting and trusted through REQUESTS_CA_BUNDLE."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import TEAMS_AUTHORITY, TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET, TEAMS_TENANT_ID
from handlers.teams.check import explain
from tests.entra_double import EntraDouble
from tests.process import free_port, run_cli

CLIENT_ID = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
SECRET = "the-secret-value"


def credentials(entra: EntraDouble, sqlite_url: str, *, trusted: bool = True) -> dict[str, str]:
    env = {
        TEAMS_CLIENT_ID: CLIENT_ID,
        TEAMS_CLIENT_SECRET: SECRET,
        TEAMS_TENANT_ID: entra.tenant,
        TEAMS_AUTHORITY: entra.authority,
        "HOST": "127.0.0.1",
        "DATABASE_URL": sqlite_url,
        # A guard: any HTTPS request to a host other than the double (MSAL's instance discovery
        # at login.microsoftonline.com, say) goes to a closed loopback port and fails, never out.
        "HTTPS_PROXY": f"http://127.0.0.1:{free_port()}",
        "NO_PROXY": "127.0.0.1",
    }
    if trusted:
        env["REQUESTS_CA_BUNDLE"] = str(entra.ca_file)
    return env


def test_check_gets_a_token_from_entra(tmp_path: Path, sqlite_url: str, entra: EntraDouble) -> None:
    result = run_cli(["check"], cwd=tmp_path, env=credentials(entra, sqlite_url))
    assert result.returncode == 0, result.stderr
    assert f"ok: the bot got a token for app {CLIENT_ID}" in result.stdout
    # MSAL found the token endpoint through the tenant's discovery, on the double and nowhere
    # else (no instance discovery at login.microsoftonline.com), then asked once.
    assert entra.paths() == [
        ("GET", f"/{entra.tenant}/v2.0/.well-known/openid-configuration"),
        ("POST", f"/{entra.tenant}/oauth2/v2.0/token"),
    ]
    [grant] = entra.token_requests()
    assert grant.form["grant_type"] == "client_credentials"
    assert grant.form["client_id"] == CLIENT_ID
    assert grant.form["client_secret"] == SECRET
    assert "https://api.botframework.com/.default" in grant.form["scope"].split()  # Bot Framework
    assert SECRET not in result.stdout + result.stderr


def test_check_says_the_secret_is_wrong_when_entra_refuses_it(
    tmp_path: Path, sqlite_url: str, entra: EntraDouble
) -> None:
    entra.refuse("AADSTS7000215")
    result = run_cli(["check"], cwd=tmp_path, env=credentials(entra, sqlite_url))
    assert result.returncode == 2  # as every ConfigError, e.g. Slack refusing its token
    said = result.stdout + result.stderr
    assert "Microsoft Entra refused the bot's credentials (AADSTS7000215)" in said
    assert (
        f"the client secret is wrong: copy the secret's Value (not its Secret ID) into {TEAMS_CLIENT_SECRET}"
        in said
    )
    assert "Traceback" not in said and "{" not in said
    assert len(entra.token_requests()) >= 1


def test_check_says_the_tenant_is_unknown(
    tmp_path: Path, sqlite_url: str, entra: EntraDouble
) -> None:
    env = credentials(entra, sqlite_url)
    env[TEAMS_AUTHORITY] = f"{entra.base_url}/no-such-tenant"
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 2  # as every ConfigError, e.g. Slack refusing its token
    said = result.stdout + result.stderr
    assert f"Microsoft Entra does not know the tenant: check {TEAMS_TENANT_ID}" in said
    assert entra.paths() == [("GET", "/no-such-tenant/v2.0/.well-known/openid-configuration")]


def test_check_says_when_the_authority_certificate_is_not_trusted(
    tmp_path: Path, sqlite_url: str, entra: EntraDouble
) -> None:
    env = credentials(entra, sqlite_url, trusted=False)
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 2  # as every ConfigError, e.g. Slack refusing its token
    said = result.stdout + result.stderr
    assert "The certificate of 127.0.0.1 is not trusted" in said
    assert "REQUESTS_CA_BUNDLE" in said
    assert entra.token_requests() == []  # no secret sent to an untrusted host


@pytest.mark.parametrize(
    "authority",
    [
        "http://127.0.0.1:9/tenant",
        "https://127.0.0.1:9",
        "login.microsoftonline.com/tenant",
    ],
)
def test_an_authority_that_is_not_an_https_url_with_a_tenant_fails_fast(
    tmp_path: Path, sqlite_url: str, authority: str
) -> None:
    env = {
        TEAMS_CLIENT_ID: CLIENT_ID,
        TEAMS_CLIENT_SECRET: SECRET,
        TEAMS_TENANT_ID: "tenant",
        TEAMS_AUTHORITY: authority,
        "HOST": "127.0.0.1",
        "DATABASE_URL": sqlite_url,
    }
    result = run_cli(["check"], cwd=tmp_path, env=env)
    assert result.returncode == 2  # as every ConfigError, e.g. Slack refusing its token
    said = result.stdout + result.stderr
    assert f"{TEAMS_AUTHORITY} must be an https URL with the tenant in its path" in said
    assert f"not '{authority}'" in said


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
