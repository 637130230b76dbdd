"""The `narrative-bot` command line (also `python -m bot`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dotenv import find_dotenv, load_dotenv

from bot import __version__
from bot.config import ConfigError, Settings, load_settings


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
    sub.add_parser("check", help="validate settings, open the database and call auth.test")
    sub.add_parser("migrate", help="apply database migrations and exit")
    export = sub.add_parser("export", help="write the decision log to an Excel workbook")
    export.add_argument("--out", required=True, help="the .xlsx file to write")
    export.add_argument("--team", help="workspace id (needed when the database holds several)")
    export.add_argument("--channel", help="only this channel id")
    export.add_argument("--since", help="only decisions created on or after YYYY-MM-DD (UTC)")
    export.add_argument(
        "--status", help="only these statuses, comma-separated (active, reversed, ...)"
    )
    export.add_argument("--tz", default="UTC", help="time zone of the dates (default UTC)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    mode = (
        "socket"
        if getattr(args, "socket", False)
        else "http"
        if getattr(args, "http", False)
        else None
    )
    return load_settings(mode=mode, port=getattr(args, "port", None))  # type: ignore[arg-type]


def _open_core(settings: Settings):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core import build_core

    try:
        return build_core(settings)
    except (SQLAlchemyError, OSError) as exc:
        raise ConfigError(
            f"Could not open the database at DATABASE_URL ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200]}). Check that the server is running and the URL, "
            'user and password are right. See README.md, section "Settings".'
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    load_dotenv(find_dotenv(usecwd=True), override=False)
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    if args.command == "export":
        from bot.export_cli import run_export

        return run_export(args)
    try:
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
                )
                if s
            ],
        )
        if args.command == "migrate":
            _open_core(settings).close()
            print("Database is up to date.")
            return 0
        if args.command == "check":
            return _check(settings)
        core = _open_core(settings)
        from handlers.runtime import run

        run(settings, core)
        return 0
    except ConfigError as exc:
        print(f"narrative-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


def _check(settings: Settings) -> int:
    for key, value in settings.redacted().items():
        print(f"{key:22} {value}")
    core = _open_core(settings)
    core.close()
    print("database               ok (migrations applied)")
    from handlers.app import build_client
    from handlers.runtime import verify_token

    who = verify_token(build_client(settings))
    print(f"slack                  ok: {who['team'] or who['url']} as {who['user']}")
    return 0
