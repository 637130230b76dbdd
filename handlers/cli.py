"""The `narrative-bot` command line (also `python -m handlers`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dotenv import find_dotenv, load_dotenv
from sqlalchemy.engine import make_url

from bot import __version__
from bot.config import (
    README_SETTINGS,
    ConfigError,
    Settings,
    load_settings,
    load_storage_settings,
)

if TYPE_CHECKING:
    from bot.core import Core


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="narrative-bot",
        description="Narrative: silent-reading meetings and honest decisions, in Slack.",
    )
    parser.add_argument("--version", action="version", version=f"narrative-bot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="start the bot (Socket Mode or HTTP)")
    mode = run.add_mutually_exclusive_group()
    mode.add_argument(
        "--socket", action="store_true", help="use Socket Mode (needs SLACK_APP_TOKEN)"
    )
    mode.add_argument("--http", action="store_true", help="serve HTTP on /slack/events")
    run.add_argument("--port", type=int, help="HTTP port (default: PORT or 3000)")
    run.add_argument("--host", help="address to listen on (default: HOST or 0.0.0.0)")
    only = run.add_mutually_exclusive_group()
    only.add_argument("--slack", action="store_true", help="serve Slack only")
    only.add_argument("--teams", action="store_true", help="serve Microsoft Teams only")
    sub.add_parser(
        "check",
        help="validate settings, open the database, call auth.test and verify the chosen mode",
    )
    sub.add_parser("migrate", help="apply database migrations and exit")
    purge = sub.add_parser("purge", help="delete one workspace's data now, reporting counts")
    purge.add_argument("--team", required=True, help="the workspace id (e.g. T0123ABCD)")
    export = sub.add_parser("export", help="write the decision log to an Excel workbook")
    export.add_argument("--out", required=True, help="the .xlsx file to write")
    export.add_argument("--team", help="workspace id (needed when the database holds several)")
    export.add_argument("--channel", help="only this channel id")
    export.add_argument("--since", help="only decisions created on or after YYYY-MM-DD (UTC)")
    export.add_argument(
        "--status", help="only these statuses, comma-separated (active, reversed, ...)"
    )
    export.add_argument("--tz", default="UTC", help="time zone of the dates (default UTC)")
    playground = sub.add_parser(
        "playground", help="try Narrative in a browser: a local workspace, no Slack needed"
    )
    playground.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    playground.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    playground.add_argument(
        "--db", type=Path, help="SQLite file to keep (default: a throwaway one)"
    )
    playground.add_argument("--demo", action="store_true", help="start with a month of demo data")
    package = sub.add_parser("teams-package", help="write the Teams app package (a zip)")
    package.add_argument("--app-id", required=True, help="the bot's Entra application id")
    package.add_argument("--endpoint", help="the bot's public https address (for validDomains)")
    package.add_argument("--out", default="narrative-teams.zip", help="the zip to write")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    mode = (
        "socket"
        if getattr(args, "socket", False)
        else "http"
        if getattr(args, "http", False)
        else None
    )
    only = "teams" if getattr(args, "teams", False) else None
    only = "slack" if getattr(args, "slack", False) else only
    return load_settings(
        mode=mode,  # type: ignore[arg-type]
        port=getattr(args, "port", None),
        host=getattr(args, "host", None),
        only=only,  # type: ignore[arg-type]
    )


def sqlite_file(database_url: str) -> Path | None:
    """The file of a SQLite DATABASE_URL (relative to the working folder), else None."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database).resolve()


def _check_sqlite_folder(database_url: str) -> None:
    """Name the real problem with a SQLite file's folder before SQLAlchemy hides it."""
    path = sqlite_file(database_url)
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(
            f"Could not open the database at DATABASE_URL: the folder {folder} does not exist. "
            "Create it, or point DATABASE_URL at a file in an existing folder. "
            f"See {README_SETTINGS}."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"Could not open the database at DATABASE_URL: the folder {folder} is not writable "
            f"by this user (SQLite writes its journal beside the file). See {README_SETTINGS}."
        )


def _database_error(database_url: str, exc: Exception) -> ConfigError:
    detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}" if str(exc) else ""
    if sqlite_file(database_url) is not None:
        return ConfigError(
            f"Could not open the database at DATABASE_URL, the SQLite file "
            f"{sqlite_file(database_url)} ({detail}). Check that it is a Narrative database and "
            f"that this user may read and write it. See {README_SETTINGS}."
        )
    return ConfigError(
        f"Could not open the database at DATABASE_URL ({detail}). Check that the server is "
        f"running and the URL, user and password are right. See {README_SETTINGS}."
    )


def _open_core(settings: Settings):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core import build_core

    _check_sqlite_folder(settings.database_url)
    try:
        return build_core(settings)
    except (SQLAlchemyError, OSError) as exc:
        raise _database_error(settings.database_url, exc) from None


def _migrate(database_url: str) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from storage.db import make_engine, migrate

    _check_sqlite_folder(database_url)
    engine = make_engine(database_url)
    try:
        migrate(engine)
    except (SQLAlchemyError, OSError) as exc:
        raise _database_error(database_url, exc) from None
    finally:
        engine.dispose()


def _print_problems(exc: ConfigError) -> None:
    for line in str(exc).splitlines():
        print(f"narrative-bot: {line}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    load_dotenv(find_dotenv(usecwd=True), override=False)
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    if args.command == "playground":
        # Needs no setting: the playground's own database, clock and workspace.
        from handlers.playground.run import serve

        try:
            return serve(host=args.host, port=args.port, db=args.db, demo=args.demo)
        except KeyboardInterrupt:
            return 0
    try:
        if args.command == "purge":
            storage = load_storage_settings()
            _migrate(storage.database_url)
            from bot.uninstall import purge_cli

            return purge_cli(storage.database_url, args.team)
        if args.command == "teams-package":
            from handlers.teams.package import write_package

            write_package(args.app_id, args.endpoint, Path(args.out))
            print(
                f"Wrote {args.out}: upload it in Teams (Apps > Manage your apps > Upload an app)."
            )
            return 0
        if args.command in ("export", "migrate"):
            # The database is all these need: no Slack setting is asked for.
            storage = load_storage_settings()
            if args.command == "export":
                path = sqlite_file(storage.database_url)
                if path is not None and not path.exists():
                    raise ConfigError(
                        f"There is no database at {path}, so there is nothing to export (and no "
                        "new, empty one is made). Run it where the bot keeps narrative.db, or set "
                        f"DATABASE_URL to the bot's database. See {README_SETTINGS}."
                    )
                from bot.export_cli import run_export

                return run_export(args)
            from bot.logs import setup_logging

            setup_logging(storage.log_level, log_format=storage.log_format)
            _migrate(storage.database_url)
            print("Database is up to date.")
            return 0
        settings = _settings(args)
        from bot.logs import setup_logging

        setup_logging(
            settings.log_level,
            secrets=[
                s
                for s in (
                    settings.slack_bot_token,
                    settings.slack_signing_secret,
                    settings.slack_app_token,
                    settings.slack_client_secret,
                    settings.teams.client_secret if settings.teams else None,
                )
                if s
            ],
            log_format=settings.log_format,
        )
        if args.command == "check":
            return _check(settings)
        database = sqlite_file(settings.database_url)
        created = database is not None and not database.exists()
        core = _open_core(settings)
        if not settings.slack:
            from handlers.teams.runtime import run_teams

            run_teams(settings, core, database_created=created)
            return 0
        from handlers.slack.runtime import run

        run(settings, core, database_created=created)
        return 0
    except ConfigError as exc:
        _print_problems(exc)
        return 2
    except KeyboardInterrupt:
        return 0


def _check(settings: Settings) -> int:
    for key, value in settings.redacted().items():
        print(f"{key:22} {value}")
    database = sqlite_file(settings.database_url)
    created = database is not None and not database.exists()
    core = _open_core(settings)
    if settings.distribution:
        try:
            return _check_workspaces(settings, core)
        finally:
            core.close()
    core.close()
    print("database               ok (migrations applied)")
    if created:
        print(
            f"                       note: created a new, empty database at {database}; the "
            "bot must run with the same DATABASE_URL (or in this folder) to use it"
        )
    if settings.teams is not None:
        from handlers.teams.check import check_teams

        print(f"teams                  {check_teams(settings)}")
    if not settings.slack:
        return 0
    from handlers.slack.app import build_client
    from handlers.slack.runtime import verify_app_token, verify_token

    client = build_client(settings)
    who = verify_token(client)
    print(f"slack                  ok: {who['team'] or who['url']} as {who['user']}")
    if settings.mode == "socket":
        assert settings.slack_app_token is not None
        verify_app_token(client, settings.slack_app_token)
        print("socket mode            ok: Slack handed out a Socket Mode connection")
    else:
        print(
            f"http mode              port {settings.port} serves POST /slack/events; Slack's Web "
            "API does not show the app's Request URL to a bot token, so it cannot be checked "
            "here: once `narrative-bot run` is up, press Retry beside the Request URL under "
            "Event Subscriptions (https://YOUR-HOST/slack/events) and it should turn Verified"
        )
    return 0


def _check_workspaces(settings: Settings, core: Core) -> int:
    """Distribution mode: every installed workspace, and whether Slack accepts its token."""
    from slack_sdk.errors import SlackApiError

    from handlers.slack.app import build_client
    from handlers.slack.installations import Installations

    print("database               ok (migrations applied)")
    client = build_client(settings)
    installed = Installations(settings, core.engine, client).installed()
    print(f"distribution mode      {len(installed)} workspace(s) installed")
    refused = 0
    for workspace in installed:
        name = f"{workspace.team_id} ({workspace.team_name or 'no name'})"
        try:
            client.auth_test(token=workspace.token)
        except SlackApiError as exc:
            refused += 1
            print(f"  {name:38} refused: {exc.response.get('error', 'unknown_error')}")
        except OSError as exc:
            refused += 1
            print(f"  {name:38} unreachable: {type(exc).__name__}")
        else:
            print(f"  {name:38} ok")
    print(
        f"http mode              port {settings.port} serves POST /slack/events, GET "
        "/slack/install (Add to Slack) and GET /slack/oauth_redirect"
    )
    return 1 if refused else 0
