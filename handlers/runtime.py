"""Starts the Slack side: checks the token with auth.test, then serves HTTP or Socket Mode."""

from __future__ import annotations

import gc
import logging
import signal
from types import FrameType

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import housekeeping
from bot.config import README_SLACK_APP, ConfigError, Settings
from bot.core import Core
from handlers.app import build_app, build_client

log = logging.getLogger(__name__)


def verify_token(client: WebClient) -> dict[str, str]:
    """Call auth.test; raise ConfigError with an actionable message when Slack refuses."""
    try:
        response = client.auth_test()
    except SlackApiError as exc:
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


def run(settings: Settings, core: Core) -> None:
    client = build_client(settings)
    who = verify_token(client)
    log.info("connected to %s as %s", who["team"] or who["url"], who["user"])
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
    core.timers.start()
    try:
        if settings.mode == "socket":
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("connecting to Slack over Socket Mode")
            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            from handlers.web import HttpServer

            server = HttpServer(app, core, port=settings.port)
            try:
                server.serve_forever()
            finally:
                server.close()
    finally:
        core.close()
