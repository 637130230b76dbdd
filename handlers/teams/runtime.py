"""Building the Teams side from settings: its connector (anonymous or with the app's token),
`TeamsPlatform` and the endpoint the HTTP server serves."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.config import Settings, TeamsSettings
from bot.core import Core
from bot.references import References
from handlers.teams.app import TeamsBot
from handlers.teams.connector import Connector, TokenRefused, TokenSource, no_token
from handlers.teams.files import FileOffers
from handlers.teams.platform import UPDATE_INTERVAL, TeamsPlatform

# The Bot Framework's scope for calls to the connector service.
CONNECTOR_SCOPE = "https://api.botframework.com/.default"


def token_source(teams: TeamsSettings) -> TokenSource:
    """How each connector call gets its token: none in anonymous mode, else the app's own
    (client credentials through MSAL, whose cache keeps it until shortly before it expires).

    MSAL is used directly rather than through the Agents SDK's `MsalAuth`, which cannot turn off
    MSAL's instance discovery: with an authority other than Microsoft's own hosts (the
    `..._AUTHORITY` setting) MSAL would first ask login.microsoftonline.com about it. A set
    authority is one the operator vouches for, as MSAL's documentation recommends. Its
    certificate is checked against the system's CAs, or REQUESTS_CA_BUNDLE when set."""
    if teams.anonymous:
        return no_token
    import asyncio

    import msal

    authority = teams.authority or f"https://login.microsoftonline.com/{teams.tenant_id}"
    app: msal.ConfidentialClientApplication | None = None
    lock = threading.Lock()

    def acquire() -> str:
        nonlocal app
        try:
            with lock:  # one app (its discovery, its cache) however many calls start at once
                if app is None:
                    app = msal.ConfidentialClientApplication(
                        teams.client_id,
                        client_credential=teams.client_secret,
                        authority=authority,
                        instance_discovery=False if teams.authority else None,
                    )
            result = app.acquire_token_for_client(scopes=[CONNECTOR_SCOPE])
        except OSError:
            raise  # Entra not reached (or its certificate not trusted): Unreachable
        except Exception as exc:  # noqa: BLE001 - MSAL's ValueError for a refused discovery
            raise TokenRefused(f"{type(exc).__name__}: {exc}") from None
        if "access_token" not in result:
            # Entra's code and words (AADSTS…), never a token.
            raise TokenRefused(f"{result.get('error')}: {result.get('error_description')}")
        return str(result["access_token"])

    async def token(_service_url: str) -> str:
        # MSAL is synchronous: off the event loop.
        return await asyncio.to_thread(acquire)

    return token


def build_teams(
    settings: Settings,
    core: Core,
    *,
    timeout: float | None = None,
    update_interval: float = UPDATE_INTERVAL,
    files_dir: Path | None = None,
) -> TeamsBot:
    """The Teams endpoint with its platform registered on `core` (`update_interval`: the
    coalescing of card updates, one second in production; `files_dir`: where files offered
    to people wait for their consent, a folder in the temp directory by default)."""
    assert settings.teams is not None
    connector = Connector(
        token_source(settings.teams), timeout=timeout or settings.slack_timeout_seconds
    )
    core.on_close(connector.close)
    # Anonymous mode runs on loopback only: there the upload URL may be plain HTTP (the double).
    files = FileOffers(files_dir, loopback_http=settings.teams.anonymous)
    files.sweep()
    platform = TeamsPlatform(
        connector, interval=update_interval, references=References(core), files=files
    )
    return TeamsBot(core, platform, settings.teams)


def run_teams(settings: Settings, core: Core, *, database_created: bool = False) -> None:
    """Serve Teams alone (no Slack settings, or `--teams`) until Ctrl-C or SIGTERM."""
    import gc
    import logging
    import signal
    from types import FrameType

    from bot import __version__, housekeeping
    from handlers.web import HttpServer

    log = logging.getLogger(__name__)
    assert settings.teams is not None
    mode = "anonymous (loopback only)" if settings.teams.anonymous else "with the app's token"
    log.info("Narrative %s starting for Microsoft Teams, %s", __version__, mode)
    log.info(
        "database %s (%s)",
        settings.redacted()["DATABASE_URL"],
        "new and empty, just created" if database_created else "migrations applied",
    )
    teams = build_teams(settings, core)
    housekeeping.schedule(core.timers)
    gc.collect()
    gc.freeze()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        log.info("stopping")
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    core.timers.start()
    try:
        server = HttpServer(None, core, host=settings.host, port=settings.port, teams=teams)
        try:
            server.serve_forever()
        finally:
            server.close()
    finally:
        core.close()
