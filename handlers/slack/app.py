"""Builds the Bolt app: Web API client with retries, middleware, error handler and listeners."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient

from bot.config import Settings
from bot.core import Core
from bot.uninstall import workspace_installed
from bot.vocabulary import PlatformName
from handlers.slack import actions, commands, events, home, views, work
from handlers.slack.api import retry_handlers
from handlers.slack.errors import handle_error, mark_verified
from handlers.slack.events import uninstall
from handlers.slack.installations import Installations
from handlers.slack.middleware import (
    dedupe_events,
    dedupe_requests,
    remember_names,
    retrying_respond,
)
from handlers.slack.platform import SlackPlatform, remember_workspace
from handlers.slack.work import DrainingPool

# Listener threads: each runs one request's listener up to its acknowledgement (and the work
# of listeners that do not defer it, see `handlers.slack.work`).
LISTENER_THREADS = 5
# How long stopping waits for listeners still running, before the work queue is drained.
LISTENER_GRACE_SECONDS = 10.0


# What a person in a workspace without an installation (any more) is told, privately.
NOT_INSTALLED = (
    ":warning: Narrative is not installed in this workspace (any more). Ask an admin to add it "
    "again with its Add to Slack page."
)


def bolt_logger() -> logging.Logger:
    logger = logging.getLogger("narrative.bolt")
    if not any(isinstance(f, _ClientGivenFilter) for f in logger.filters):
        logger.addFilter(_ClientGivenFilter())
    return logger


def build_client(settings: Settings) -> WebClient:
    """The Web API client: every call goes to SLACK_API_URL and retries what Slack says to."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_seconds,
        retry_handlers=retry_handlers(),
        logger=logging.getLogger("narrative.slack_sdk"),
    )


class _ClientGivenFilter(logging.Filter):
    """Drops Bolt's warning that the token is unused because a client was given: Bolt reads
    SLACK_BOT_TOKEN from the environment by itself, and the client we give carries that very
    token (with our retries, timeout and API URL). At start it only looked like an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_app(settings: Settings, core: Core, *, client: WebClient | None = None) -> App:
    client = client or build_client(settings)
    listeners = DrainingPool(LISTENER_THREADS, "listener")
    work.listener_pools(core).append(listeners)
    # Before anything else closes, acknowledged work finishes while the database is open: the
    # listeners first (they may still defer work), then the work queue.
    core.on_close(lambda: listeners.drain(LISTENER_GRACE_SECONDS), first=True)
    work.pool_for(core, limit=settings.work_queue_limit)
    # Distribution mode: no token of its own; each workspace's comes from its installation.
    installations = (
        Installations(
            settings,
            core.engine,
            client,
            on_installed=lambda team: workspace_installed(core, team, PlatformName.SLACK),
        )
        if settings.distribution
        else None
    )
    oauth = (
        {
            "oauth_settings": installations.oauth_settings(),
            "authorize": installations.authorize(),
            "user_facing_authorize_error_message": NOT_INSTALLED,
        }
        if installations is not None
        else {}
    )
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or "socket-mode-needs-no-secret",
        # Ack first, work after: listeners run in Bolt's thread pool once they have acked.
        process_before_response=False,
        listener_executor=listeners,
        # auth.test at start-up is done (with a readable message) by `narrative-bot run/check`.
        token_verification_enabled=False,
        logger=bolt_logger(),
        **oauth,  # type: ignore[arg-type]
    )
    app.use(mark_verified)  # first: Bolt runs global middleware only on verified requests
    app.use(work.admit(core))  # before anything is recorded of a request it refuses
    app.use(dedupe_events(core))
    app.use(dedupe_requests(core))
    app.use(retrying_respond)
    app.use(remember_names(core))
    app.use(remember_workspace(core))
    app.error(handle_error)
    if installations is not None:
        core.add_platform(SlackPlatform(core, installations.client_for))
        uninstall.register(app, core, installations)
    else:  # one workspace, one client
        core.add_platform(SlackPlatform(core, lambda _team: app.client))
    commands.register(app, core)
    actions.register(app, core)
    views.register(app, core)
    events.register(app, core)
    home.register(app, core)
    return app
