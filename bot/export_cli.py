"""`narrative-bot export`: the Excel export from the command line (needs only DATABASE_URL)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.config import DEFAULT_DATABASE_URL, ConfigError, normalize_database_url
from bot.export import write_workbook
from bot.names import known_names
from storage import decision_log as log_rows
from storage.db import make_engine, migrate, session_scope
from storage.decision_log import LOG_STATUSES, LogQuery


def _query(args: argparse.Namespace) -> LogQuery:
    since = None
    if args.since:
        try:
            since = datetime.combine(date.fromisoformat(args.since), time(0), tzinfo=UTC)
        except ValueError:
            raise ConfigError(
                f"--since must be a date like 2026-01-31, not '{args.since}'."
            ) from None
    statuses: tuple[str, ...] = ()
    if args.status:
        statuses = tuple(s.strip().replace("-", "_") for s in args.status.split(",") if s.strip())
        unknown = [s for s in statuses if s not in LOG_STATUSES]
        if unknown:
            raise ConfigError(
                f"--status {', '.join(unknown)} is not a status; use {', '.join(LOG_STATUSES)}."
            )
    return LogQuery(channel_id=args.channel or None, since=since, statuses=statuses)


def run_export(args: argparse.Namespace) -> int:
    try:
        try:
            ZoneInfo(args.tz)
        except Exception:  # noqa: BLE001
            raise ConfigError(
                f"--tz '{args.tz}' is not a time zone such as Europe/Berlin."
            ) from None
        query = _query(args)
        folder = Path(args.out).resolve().parent
        if not folder.is_dir() or not os.access(folder, os.W_OK):
            raise ConfigError(f"cannot write {args.out}: {folder} is not a writable folder.")
        url = normalize_database_url(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
        engine = make_engine(url)
        try:
            migrate(engine)
            with session_scope(engine) as session:
                known = log_rows.teams(session=session)
            team = args.team
            if team is None:
                if len(known) > 1:
                    raise ConfigError(
                        "The database holds several workspaces; pick one with --team "
                        f"({', '.join(sorted(known))})."
                    )
                team = known[0] if known else ""
            people, channels = known_names(engine, team_id=team)
            summary = write_workbook(
                engine=engine,
                team_id=team,
                query=query,
                out=args.out,
                tz=args.tz,
                names=people,
                channel_names=channels,
            )
        finally:
            engine.dispose()
    except ConfigError as exc:
        print(f"narrative-bot: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"narrative-bot: could not write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(
            f"narrative-bot: could not read the database at DATABASE_URL ({type(exc).__name__}).",
            file=sys.stderr,
        )
        return 1
    rows = ", ".join(f"{name} {count}" for name, count in summary.rows.items())
    print(f"Wrote {args.out}: {rows}.")
    return 0
