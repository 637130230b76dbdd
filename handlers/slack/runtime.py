"""Starts the Slack side: checks the token with auth.test, then serves HTTP or Socket Mode."""

from __future__ import annotations

import gc
import logging
import re
import signal
from types import FrameType

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import __version__, housekeeping, uninstall
from bot.config import README_SLACK_APP, ConfigError, Settings
from bot.core import Core
from handlers.slack.app import build_app, build_client

log = logging.getLogger(__name__)


# Slack's error codes are snake_case words; anything else in `error` is slack_sdk saying the
# answer was not the Web API's JSON (a proxy's login page, a wrong SLACK_API_URL).
_SLACK_ERROR_CODE = re.compile(r"[a-z0-9_.]+")


def _not_slack(client: WebClient, exc: SlackApiError) -> ConfigError | None:
    error = str(exc.response.get("error", ""))
    if _SLACK_ERROR_CODE.fullmatch(error):
        return None  # Slack's own answer (a refusal, a rate limit, an outage)
    return ConfigError(
        f"SLACK_API_URL ({client.base_url}) answered HTTP {exc.response.status_code} with "
        "something that is not Slack's Web API (no JSON answer). Check SLACK_API_URL (normally "
        "unset, for https://slack.com/api/) and any proxy in between."
    )


def verify_token(client: WebClient) -> dict[str, str]:
    """Call auth.test; raise ConfigError with an actionable message when Slack refuses."""
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        if (not_slack := _not_slack(client, exc)) is not None:
            raise not_slack from None
        error = exc.response.get("error", "unknown_error")
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({error}). Copy the Bot User OAuth Token again from "
            f"OAuth & Permissions, and reinstall the app if you changed its scopes. "
            f"See {README_SLACK_APP}."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Could not reach Slack's Web API at {client.base_url} ({type(exc).__name__}). "
            "Check the network, proxy settings and SLACK_API_URL."
        ) from None
    return {k: str(response.get(k, "")) for k in ("team", "team_id", "user", "user_id", "url")}


def verify_app_token(client: WebClient, app_token: str) -> None:
    """Socket Mode end to end, short of connecting: Slack hands this app-level token a
    connection URL (apps.connections.open) only when it may open Socket Mode connections."""
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        if (not_slack := _not_slack(client, exc)) is not None:
            raise not_slack from None
        error = exc.response.get("error", "unknown_error")
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN for Socket Mode ({error}). Make an app-level token "
            "with the connections:write scope (Basic Information > App-Level Tokens) and check "
            f"that Socket Mode is on for the app. See {README_SLACK_APP}."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"Could not reach Slack's Web API at {client.base_url} ({type(exc).__name__}). "
            "Check the network, proxy settings and SLACK_API_URL."
        ) from None


def run(settings: Settings, core: Core, *, database_created: bool = False) -> None:
    mode = "Socket Mode" if settings.mode == "socket" else "HTTP mode"
    log.info("Narrative %s starting in %s", __version__, mode)
    log.info(
        "database %s (%s)",
        settings.redacted()["DATABASE_URL"],
        "new and empty, just created" if database_created else "migrations applied",
    )
    client = build_client(settings)
    if settings.distribution:
        log.info("distribution mode: workspaces install through /slack/install")
        uninstall.schedule(core)  # uninstalled workspaces' data, after the retention period
    else:
        who = verify_token(client)
        log.info(
            "workspace %s (%s) as %s",
            who["team"] or who["url"],
            who["team_id"] or "-",
            who["user"],
        )
    app = build_app(settings, core, client=client)
    housekeeping.schedule(core.timers)
    # Everything made so far lives as long as the process: keep it out of the garbage
    # collector's full passes, which otherwise stop every thread (acknowledgements included)
    # for longer as the heap grows.
    gc.collect()
    gc.freeze()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        # Unwind the serving loop as Ctrl-C does (closing the server from inside a signal
        # handler would run under the loop): workers stop, timers shut down, exit 0.
        log.info("stopping")
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    teams = None
    if settings.teams is not None:
        from handlers.teams.runtime import build_teams

        teams = build_teams(settings, core)
    core.timers.start()
    try:
        if settings.mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            if teams is not None:  # Teams' activities still come over HTTP
                from handlers.web import HttpServer

                teams_server = HttpServer(
                    None, core, host=settings.host, port=settings.port, teams=teams
                )
                teams_server.start_in_thread()
                core.on_close(teams_server.close, first=True)
            log.info("connecting to Slack over Socket Mode")
            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            from handlers.web import HttpServer

            server = HttpServer(app, core, host=settings.host, port=settings.port, teams=teams)
            try:
                server.serve_forever()
            finally:
                server.close()
    finally:
        core.close()
