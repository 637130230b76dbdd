"""Distribution mode: workspaces install Narrative with "Add to Slack" (Bolt's OAuth flow), and
every call to Slack uses the token of the workspace it is for.

Installations, bots and OAuth states are kept by slack_sdk's SQLAlchemy stores in Narrative's
own database (tables made by migration 0007). Bolt authorizes each request from the store, its
`auth.test` cached per token; timers and background work get `client_for(team)`, a client with
that workspace's token, cached and refreshed before a rotating token expires."""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy
from slack_bolt import BoltResponse
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.port import PostFailed

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# How long an "Add to Slack" link stays good (Bolt's default).
STATE_SECONDS = 600
# The bot scopes of manifest.yml (a test keeps them equal).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "im:write",
    "users:read",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "reactions:read",
    "reactions:write",
    "files:write",
)
ORG_REFUSED_PAGE = """<html><head><meta charset="utf-8"><title>Narrative</title></head>
<body><h2>Narrative installs per workspace</h2>
<p>Narrative keeps each workspace's decisions apart, so it cannot be installed for a whole
Enterprise Grid organization at once. Nothing was installed. Ask an org admin to add it to each
workspace that wants it instead ({link}).</p></body></html>"""


class NotInstalled(PostFailed):
    """Narrative is not (or no longer) installed in the workspace a call is for."""


class OrgInstallRefused(BoltError):
    """An org-wide Enterprise Grid install, which Narrative refuses (see `ORG_REFUSED_PAGE`)."""


class WorkspaceInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, refusing org-wide installs before anything is saved."""

    def save(self, installation: Installation) -> None:
        if installation.is_enterprise_install:
            raise OrgInstallRefused("org-wide installs are not supported")
        super().save(installation)


def authorize_url(api_url: str) -> str:
    """Slack's page where a person approves an install, on the host of SLACK_API_URL
    (https://slack.com/oauth/v2/authorize; the Slack double's in tests)."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"


@dataclass(frozen=True)
class InstalledWorkspace:
    team_id: str
    team_name: str
    enterprise_id: str | None
    token: str


@dataclass
class _Cached:
    client: WebClient
    expires_at: int | None


class Installations:
    """The installed workspaces and a Slack client for each."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        api: WebClient,
        *,
        on_installed: Callable[[str], None] = lambda _team: None,
    ) -> None:
        assert settings.slack_client_id is not None and settings.slack_client_secret is not None
        self.settings = settings
        self.client_id = settings.slack_client_id
        self.client_secret = settings.slack_client_secret
        self.store = WorkspaceInstallationStore(
            client_id=self.client_id, engine=engine, logger=logging.getLogger("narrative.oauth")
        )
        self.states = SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS, engine=engine, logger=logging.getLogger(__name__)
        )
        self.api = api  # no token: its base URL, timeout and retries are copied per workspace
        self.rotator = TokenRotator(
            client_id=self.client_id, client_secret=self.client_secret, client=api
        )
        self.on_installed = on_installed
        self._clients: dict[str, _Cached] = {}
        # One lookup or rotation at a time: a refresh token is used once.
        self._lock = threading.Lock()

    def oauth_settings(self) -> OAuthSettings:
        """Bolt's OAuth flow on /slack/install and /slack/oauth_redirect, stored in our database."""
        return OAuthSettings(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scopes=list(BOT_SCOPES),
            user_scopes=[],
            install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH,
            authorization_url=authorize_url(self.settings.slack_api_url),
            installation_store=self.store,
            installation_store_bot_only=True,
            token_rotation_expiration_minutes=self.settings.token_rotation_minutes,
            state_store=self.states,
            state_expiration_seconds=STATE_SECONDS,
            callback_options=CallbackOptions(success=self._installed, failure=_refused),
            logger=logging.getLogger("narrative.oauth"),
        )

    def authorize(self) -> InstallationStoreAuthorize:
        """Each request's token from the store; `auth.test` once per token, not per request
        (the acknowledgement must not wait for Slack)."""
        return InstallationStoreAuthorize(
            logger=logging.getLogger("narrative.oauth"),
            installation_store=self.store,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token_rotation_expiration_minutes=self.settings.token_rotation_minutes,
            bot_only=True,
            cache_enabled=True,
            client=self.api,
        )

    def client_for(self, team: str) -> WebClient:
        """A client with `team`'s token, refreshed first when a rotating token nears expiry.
        Raises NotInstalled when the workspace has no installation."""
        with self._lock:
            cached = self._clients.get(team)
            if cached is not None and not self._expiring(cached.expires_at):
                return cached.client
            bot = self._latest_bot(team)
            if bot is None or bot.bot_token is None:
                self._clients.pop(team, None)
                raise NotInstalled("not_installed")
            if bot.bot_refresh_token is not None:
                refreshed = self.rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=self.settings.token_rotation_minutes
                )
                if refreshed is not None:
                    self.store.save_bot(refreshed)
                    log.info("refreshed the rotating token of workspace %s", team)
                    bot = refreshed
            client = WebClient(
                token=bot.bot_token,
                base_url=self.api.base_url,
                timeout=self.api.timeout,
                team_id=team,
                logger=self.api.logger,
                retry_handlers=list(self.api.retry_handlers or []),
            )
            self._clients[team] = _Cached(client, bot.bot_token_expires_at)
            return client

    def forget(self, team: str) -> None:
        """Drop `team`'s cached client (after an uninstall or a revocation)."""
        with self._lock:
            self._clients.pop(team, None)

    def installed(self) -> list[InstalledWorkspace]:
        """Every workspace with a bot token, by team id (for `narrative-bot check`)."""
        bots = self.store.bots
        query = (
            sqlalchemy.select(bots)
            .where(bots.c.client_id == self.client_id, bots.c.bot_token.is_not(None))
            .order_by(bots.c.installed_at)
        )
        latest: dict[str, InstalledWorkspace] = {}
        with self.store.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                latest[row["team_id"]] = InstalledWorkspace(
                    team_id=row["team_id"],
                    team_name=row["team_name"] or "",
                    enterprise_id=row["enterprise_id"],
                    token=row["bot_token"],
                )
        return [latest[t] for t in sorted(latest)]

    def _expiring(self, expires_at: int | None) -> bool:
        margin = self.settings.token_rotation_minutes * 60
        return expires_at is not None and expires_at <= time.time() + margin

    def _latest_bot(self, team: str) -> Bot | None:
        # By team alone: timers know the workspace, not its Enterprise Grid organization.
        bots = self.store.bots
        query = (
            sqlalchemy.select(bots)
            .where(
                bots.c.client_id == self.client_id,
                bots.c.team_id == team,
                bots.c.bot_token.is_not(None),
            )
            .order_by(bots.c.installed_at.desc())
            .limit(1)
        )
        with self.store.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else self.store.build_bot_entity(row)

    def _installed(self, args: SuccessArgs) -> BoltResponse:
        installation = args.installation
        log.info(
            "installed in workspace %s (enterprise %s)",
            installation.team_id,
            installation.enterprise_id or "-",
        )
        if installation.team_id:
            self.forget(installation.team_id)  # a reinstall brings a new token
            self.on_installed(installation.team_id)
        return args.default.success(args)


def _refused(args: FailureArgs) -> BoltResponse:
    if isinstance(args.error, OrgInstallRefused):
        log.warning("refused an org-wide install (Enterprise Grid)")
        page = ORG_REFUSED_PAGE.format(link=html.escape(INSTALL_PATH))
        return BoltResponse(
            status=403, body=page, headers={"Content-Type": "text/html; charset=utf-8"}
        )
    log.warning("an install failed (%s)", args.reason)
    return args.default.failure(args)
