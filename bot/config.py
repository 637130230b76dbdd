"""Settings, read from the environment (and `.env`), validated with messages a person can act on."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

README_SETTINGS = 'README.md, section "Settings"'
README_SLACK_APP = 'README.md, section "Create the Slack app"'
README_DISTRIBUTE = 'README.md, section "Distribute to many workspaces"'
README_TEAMS_APP = 'README.md, section "Create the Teams app"'
# The Microsoft 365 Agents SDK's own names for the bot's Entra app registration.
TEAMS_CLIENT_ID = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID"
TEAMS_CLIENT_SECRET = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET"
TEAMS_TENANT_ID = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID"
# Where the bot gets its token; Microsoft Entra's public cloud unless set (another cloud, a test).
TEAMS_AUTHORITY = "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__AUTHORITY"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")

DEFAULT_DATABASE_URL = "sqlite:///narrative.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

Mode = Literal["http", "socket"]


class ConfigError(Exception):
    """A setting is missing or malformed. The message names it and says how to fix it."""


@dataclass(frozen=True)
class TeamsSettings:
    """Microsoft Teams: the bot's Entra app (client id, secret, tenant), or anonymous mode
    (no credentials; only while listening on a loopback address: the playground, tests)."""

    client_id: str | None
    client_secret: str | None
    tenant_id: str | None
    anonymous: bool
    # The Entra authority URL (https://HOST/TENANT); None: https://login.microsoftonline.com/TENANT.
    authority: str | None = None


@dataclass(frozen=True)
class Settings:
    # None in distribution mode: each workspace's token comes from its installation.
    slack_bot_token: str | None
    slack_signing_secret: str | None
    slack_app_token: str | None
    database_url: str
    port: int
    log_level: str
    slack_api_url: str
    mode: Mode
    timer_sweep_seconds: float
    admin_user_ids: frozenset[str]
    # How long a Slack Web API call may take before the bot stops waiting (and reconciles).
    slack_timeout_seconds: float = 10.0
    # "text" for people, "json" (one object a line) for log collectors.
    log_format: str = "text"
    # Work acknowledged but not yet started, at most (see handlers.slack.work).
    work_queue_limit: int = 1000
    # Distribution mode (many workspaces install through OAuth): both set, or neither.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # Rotating tokens are refreshed this many minutes before they expire.
    token_rotation_minutes: int = 120
    # An uninstalled workspace's data is deleted this many days after the uninstall.
    uninstalled_retention_days: int = 30

    @property
    def distribution(self) -> bool:
        """Whether workspaces install Narrative through OAuth ("Add to Slack")."""
        return self.slack_client_id is not None

    # The address the HTTP server listens on (HOST, --host).
    host: str = "0.0.0.0"
    # Whether Slack is served (False: Teams alone, and the Slack fields are empty).
    slack: bool = True
    # Microsoft Teams, when served.
    teams: TeamsSettings | None = None

    def redacted(self) -> dict[str, str]:
        """What `narrative-bot check` may print: secrets shortened to their kind."""
        return {
            "mode": self.mode,
            "SLACK_BOT_TOKEN": _redact(self.slack_bot_token),
            "SLACK_SIGNING_SECRET": "set" if self.slack_signing_secret else "not set",
            "SLACK_APP_TOKEN": _redact(self.slack_app_token) if self.slack_app_token else "not set",
            "DATABASE_URL": _redact_url(self.database_url),
            "PORT": str(self.port),
            "LOG_LEVEL": self.log_level,
            "LOG_FORMAT": self.log_format,
            "SLACK_API_URL": self.slack_api_url,
            "SLACK_CLIENT_ID": self.slack_client_id or "not set",
            "SLACK_CLIENT_SECRET": "set" if self.slack_client_secret else "not set",
            "HOST": self.host,
            "TEAMS": _teams_summary(self.teams),
        }


def _teams_summary(teams: TeamsSettings | None) -> str:
    if teams is None:
        return "not served"
    if teams.anonymous:
        return "anonymous (loopback only)"
    where = f", authority {teams.authority}" if teams.authority else ""
    return f"client id {teams.client_id}, tenant {teams.tenant_id}, secret set{where}"


def _redact(token: str | None) -> str:
    if not token:
        return "not set"
    return token.split("-", 1)[0] + "-…"


def _redact_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable)"


def normalize_database_url(raw: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the installed driver."""
    value = raw.strip()
    if value.startswith("postgres://"):
        value = "postgresql://" + value[len("postgres://") :]
    try:
        url = make_url(value)
    except ArgumentError as exc:
        raise ConfigError(
            f"DATABASE_URL is not a database URL ({exc}). Use a SQLite file such as "
            f"'sqlite:///narrative.db' or a PostgreSQL URL such as "
            f"'postgresql://user:password@host:5432/narrative'. See {README_SETTINGS}."
        ) from None
    if url.drivername in ("postgresql", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"DATABASE_URL uses '{url.get_backend_name()}', which Narrative does not support. "
            f"Use SQLite (the default) or PostgreSQL. See {README_SETTINGS}."
        )
    if url.get_backend_name() == "postgresql" and importlib.util.find_spec("psycopg") is None:
        raise ConfigError(
            "DATABASE_URL names PostgreSQL, whose driver is not installed. Install it with "
            f"pip install 'narrative-bot[postgresql]'. See {README_SETTINGS}."
        )
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        raise ConfigError(
            "DATABASE_URL points to an in-memory SQLite database, which would lose every timer "
            f"and decision on restart. Name a file, e.g. 'sqlite:///narrative.db'. See {README_SETTINGS}."
        )
    return url.render_as_string(hide_password=False)


LOG_FORMATS = ("text", "json")
# What `.env.example` and the README show in place of a real value: accepted, they would make
# every request a silent 401 (a signing secret) or every call a refusal (a token).
_PLACEHOLDER_MARKS = ("...", "…", "<", ">", "your-", "your_", "changeme", "change-me")


def is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return any(mark in lowered for mark in _PLACEHOLDER_MARKS)


def _placeholder(name: str) -> str:
    return (
        f"{name} still holds the example value from .env.example; put the real value in .env "
        f"or the environment. See {README_SLACK_APP}."
    )


@dataclass(frozen=True)
class StorageSettings:
    """What commands that need only the database read (`migrate`, `export`)."""

    database_url: str
    log_level: str
    log_format: str


def load_storage_settings(env: Mapping[str, str] | None = None) -> StorageSettings:
    """DATABASE_URL, LOG_LEVEL and LOG_FORMAT, or ConfigError naming every one at fault."""
    problems: list[str] = []
    settings = _storage_settings(_getter(env), problems)
    if problems:
        raise ConfigError("\n".join(problems))
    return settings


def _getter(env: Mapping[str, str] | None) -> Callable[[str], str | None]:
    source = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = source.get(name, "").strip()
        return value or None

    return get


def _storage_settings(get: Callable[[str], str | None], problems: list[str]) -> StorageSettings:
    try:
        database_url = normalize_database_url(get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    except ConfigError as exc:
        problems.append(str(exc))
        database_url = DEFAULT_DATABASE_URL
    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(
            f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not '{log_level}'. "
            f"See {README_SETTINGS}."
        )
        log_level = "INFO"
    log_format = (get("LOG_FORMAT") or "text").lower()
    if log_format not in LOG_FORMATS:
        problems.append(
            f"LOG_FORMAT must be 'text' (the default) or 'json' (one JSON object a line, for log "
            f"collectors), not '{log_format}'. See {README_SETTINGS}."
        )
        log_format = "text"
    return StorageSettings(database_url=database_url, log_level=log_level, log_format=log_format)


def _slack_configured(get: Callable[[str], str | None]) -> bool:
    return any(get(n) for n in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"))


def _teams_configured(get: Callable[[str], str | None]) -> bool:
    return get(TEAMS_CLIENT_ID) is not None or (get("TEAMS_ANONYMOUS") or "").lower() in _TRUE


def _teams_settings(
    get: Callable[[str], str | None], host: str, problems: list[str]
) -> TeamsSettings:
    """Teams' settings: an Entra app's three values, or anonymous mode on a loopback address."""
    raw_anonymous = (get("TEAMS_ANONYMOUS") or "false").lower()
    if raw_anonymous not in (*_TRUE, "0", "false", "no", "off"):
        problems.append(
            f"TEAMS_ANONYMOUS must be 'true' or 'false', not '{raw_anonymous}'. "
            f"See {README_SETTINGS}."
        )
    anonymous = raw_anonymous in _TRUE
    client_id, secret, tenant = get(TEAMS_CLIENT_ID), get(TEAMS_CLIENT_SECRET), get(TEAMS_TENANT_ID)
    if anonymous:
        if client_id is not None:
            problems.append(
                f"TEAMS_ANONYMOUS=true runs Teams without credentials, but {TEAMS_CLIENT_ID} is "
                "set too: unset one of them (anonymous mode is for the Agents Playground and "
                f"tests). See {README_TEAMS_APP}."
            )
        if host not in LOOPBACK_HOSTS:
            problems.append(
                f"TEAMS_ANONYMOUS=true accepts activities without a token, so it is allowed only "
                f"while the server listens on a loopback address, but HOST is '{host}'. Set "
                f"HOST=127.0.0.1 (or run with --host 127.0.0.1), or configure the app's "
                f"credentials instead. See {README_TEAMS_APP}."
            )
        return TeamsSettings(None, None, None, anonymous=True)
    for name, value in (
        (TEAMS_CLIENT_ID, client_id),
        (TEAMS_CLIENT_SECRET, secret),
        (TEAMS_TENANT_ID, tenant),
    ):
        if value is None:
            problems.append(
                f"{name} is not set. Teams needs the bot's Entra app registration: its "
                "application (client) id, a client secret and the directory (tenant) id; or "
                f"TEAMS_ANONYMOUS=true on a loopback HOST to try it locally. See {README_TEAMS_APP}."
            )
        elif is_placeholder(value):
            problems.append(_placeholder(name))
    authority = get(TEAMS_AUTHORITY)
    if authority is not None and not _is_authority(authority):
        problems.append(
            f"{TEAMS_AUTHORITY} must be an https URL with the tenant in its path, such as "
            f"'https://login.microsoftonline.com/your-directory-tenant-id', not '{authority}'; "
            f"leave it unset for Microsoft's public cloud. See {README_SETTINGS}."
        )
    return TeamsSettings(client_id, secret, tenant, anonymous=False, authority=authority)


def _is_authority(url: str) -> bool:
    """An https URL with a host and a first path segment (the tenant), as MSAL requires."""
    try:
        parsed = urlparse(url)
    except ValueError:  # e.g. an unclosed [ in an IPv6 host
        return False
    return parsed.scheme == "https" and bool(parsed.hostname) and parsed.path.strip("/") != ""


def _slack_settings(
    get: Callable[[str], str | None], mode: Mode | None, problems: list[str]
) -> tuple[str | None, str | None, str | None, Mode]:
    """Slack's token, signing secret, app-level token and mode (problems added to `problems`)."""
    bot_token = get("SLACK_BOT_TOKEN")
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    distribution = _distribution_problems(bot_token, client_id, client_secret, problems)
    if bot_token is None and not distribution:
        problems.append(
            "SLACK_BOT_TOKEN is not set. Narrative needs the app's Bot User OAuth Token "
            "(it starts with 'xoxb-'); find it under OAuth & Permissions after installing the "
            f"app to your workspace, and put it in .env or the environment. See {README_SLACK_APP}."
        )
    elif bot_token is not None and not bot_token.startswith("xoxb-"):
        kind = bot_token.split("-", 1)[0] if "-" in bot_token else "unknown"
        problems.append(
            f"SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-', but this one is of kind "
            f"'{kind}'. Copy the Bot User OAuth Token from OAuth & Permissions (not the user "
            f"token 'xoxp-' or the app-level token 'xapp-'). See {README_SLACK_APP}."
        )
    elif bot_token is not None and is_placeholder(bot_token):
        problems.append(_placeholder("SLACK_BOT_TOKEN"))
    app_token = get("SLACK_APP_TOKEN")
    if app_token is not None and not app_token.startswith("xapp-"):
        problems.append(
            "SLACK_APP_TOKEN must be an app-level token starting with 'xapp-' (Basic Information "
            "> App-Level Tokens, with the connections:write scope). Leave it unset to serve HTTP "
            f"instead of Socket Mode. See {README_SLACK_APP}."
        )
    elif app_token is not None and is_placeholder(app_token):
        problems.append(_placeholder("SLACK_APP_TOKEN"))
    chosen: Mode = mode or ("socket" if app_token else "http")
    if distribution and chosen == "socket":
        problems.append(
            "Distribution mode (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET) needs HTTP mode: Slack "
            "does not let apps installed in many workspaces use Socket Mode. Remove "
            f"SLACK_APP_TOKEN (and --socket) and set SLACK_SIGNING_SECRET. See {README_DISTRIBUTE}."
        )
    if chosen == "socket" and app_token is None:
        problems.append(
            "Socket Mode needs SLACK_APP_TOKEN, an app-level token starting with 'xapp-' "
            "(Basic Information > App-Level Tokens, scope connections:write). "
            f"See {README_SLACK_APP}."
        )
    secret = get("SLACK_SIGNING_SECRET")
    if chosen == "http" and secret is None:
        problems.append(
            "SLACK_SIGNING_SECRET is not set. In HTTP mode Narrative verifies that every request "
            "comes from Slack with the app's Signing Secret (Basic Information > App Credentials). "
            f"Set it, or set SLACK_APP_TOKEN to use Socket Mode. See {README_SLACK_APP}."
        )
    elif secret is not None and is_placeholder(secret):
        problems.append(_placeholder("SLACK_SIGNING_SECRET"))
    return bot_token, secret, app_token, chosen


Platform = Literal["slack", "teams"]
_TRUE = ("1", "true", "yes", "on")


def load_settings(
    env: Mapping[str, str] | None = None,
    *,
    mode: Mode | None = None,
    port: int | None = None,
    host: str | None = None,
    only: Platform | None = None,
) -> Settings:
    """Build settings from `env` (default: the process environment) or raise ConfigError,
    whose message names every missing or malformed setting, one a line. Every platform with
    settings is served, or `only` the one named (`--slack`, `--teams`)."""
    get = _getter(env)
    problems: list[str] = []
    chosen_host = host or get("HOST") or "0.0.0.0"
    teams_wanted = only == "teams" or (only is None and _teams_configured(get))
    slack_wanted = only == "slack" or (
        only is None and (_slack_configured(get) or not teams_wanted)
    )
    if only is None and not teams_wanted and not _slack_configured(get):
        problems.append(
            "Nothing to serve: set Slack's settings (SLACK_BOT_TOKEN, and SLACK_APP_TOKEN or "
            f"SLACK_SIGNING_SECRET; see {README_SLACK_APP}) or Teams' ({TEAMS_CLIENT_ID}, "
            f"{TEAMS_CLIENT_SECRET} and {TEAMS_TENANT_ID}, or TEAMS_ANONYMOUS=true on a loopback "
            f"HOST; see {README_TEAMS_APP})."
        )
    teams = _teams_settings(get, chosen_host, problems) if teams_wanted else None
    bot_token, secret, app_token, chosen = None, None, None, mode or "http"
    if slack_wanted:
        bot_token, secret, app_token, chosen = _slack_settings(get, mode, problems)
    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    # (`_slack_settings` said what is wrong with half a pair or a pair beside SLACK_BOT_TOKEN.)
    distribution = slack_wanted and client_id is not None and client_secret is not None
    storage = _storage_settings(get, problems)
    chosen_port = port if port is not None else _int(get("PORT"), "PORT", 3000, 1, 65535, problems)
    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.startswith(("http://", "https://")):
        problems.append(
            f"SLACK_API_URL must be an http(s) URL such as '{DEFAULT_SLACK_API_URL}', not "
            f"'{api_url}'. See {README_SETTINGS}."
        )
    if not api_url.endswith("/"):
        api_url += "/"
    sweep = _float(get("TIMER_SWEEP_SECONDS"), "TIMER_SWEEP_SECONDS", 15.0, 1.0, 3600.0, problems)
    admins = frozenset(u.strip() for u in (get("NARRATIVE_ADMINS") or "").split(",") if u.strip())
    slack_timeout = _float(
        get("SLACK_TIMEOUT_SECONDS"), "SLACK_TIMEOUT_SECONDS", 10.0, 0.1, 60.0, problems
    )
    queue_limit = _int(get("WORK_QUEUE_LIMIT"), "WORK_QUEUE_LIMIT", 1000, 1, 1_000_000, problems)
    rotation = _int(
        get("SLACK_TOKEN_ROTATION_MINUTES"), "SLACK_TOKEN_ROTATION_MINUTES", 120, 1, 720, problems
    )
    retention = _int(
        get("UNINSTALLED_RETENTION_DAYS"), "UNINSTALLED_RETENTION_DAYS", 30, 0, 3650, problems
    )
    if problems:
        raise ConfigError("\n".join(problems))
    return Settings(
        slack_bot_token=None if distribution else (bot_token or ""),
        slack_signing_secret=secret,
        slack_app_token=app_token,
        database_url=storage.database_url,
        port=chosen_port,
        log_level=storage.log_level,
        slack_api_url=api_url,
        mode=chosen,
        timer_sweep_seconds=sweep,
        admin_user_ids=admins,
        slack_timeout_seconds=slack_timeout,
        log_format=storage.log_format,
        work_queue_limit=queue_limit,
        slack_client_id=client_id if distribution else None,
        slack_client_secret=client_secret if distribution else None,
        token_rotation_minutes=rotation,
        uninstalled_retention_days=retention,
        host=chosen_host,
        slack=slack_wanted,
        teams=teams,
    )


def _distribution_problems(
    bot_token: str | None, client_id: str | None, client_secret: str | None, problems: list[str]
) -> bool:
    """Whether distribution mode is asked for (both OAuth credentials set); adds what is wrong
    with the combination of SLACK_BOT_TOKEN, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET."""
    if client_id is None and client_secret is None:
        return False
    if client_id is None or client_secret is None:
        missing = "SLACK_CLIENT_ID" if client_id is None else "SLACK_CLIENT_SECRET"
        problems.append(
            f"{missing} is not set: distribution mode needs both SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (Basic Information > App Credentials); for one workspace set "
            f"neither and use SLACK_BOT_TOKEN. See {README_DISTRIBUTE}."
        )
        return False
    for name, value in (("SLACK_CLIENT_ID", client_id), ("SLACK_CLIENT_SECRET", client_secret)):
        if is_placeholder(value):
            problems.append(_placeholder(name))
    if bot_token is not None:
        problems.append(
            "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET. Choose "
            "one: a single workspace with SLACK_BOT_TOKEN, or distribution mode (workspaces "
            "install through /slack/install, each with its own token) with the client id and "
            f"secret. Remove the one you do not mean. See {README_DISTRIBUTE}."
        )
    return True


def _int(raw: str | None, name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        problems.append(
            f"{name} must be a whole number from {low} to {high}, not '{raw}'. See {README_SETTINGS}."
        )
        return default
    return value


def _float(
    raw: str | None, name: str, default: float, low: float, high: float, problems: list[str]
) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        problems.append(
            f"{name} must be a number of seconds from {low:g} to {high:g}, not '{raw}'. "
            f"See {README_SETTINGS}."
        )
        return default
    return value
