"""The engine, sessions and schema migrations."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy import Float, String, Text, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.migration import MigrationContext
    from sqlalchemy import Column
    from sqlalchemy.types import TypeEngine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Execution option marking the connections of `read_scope`.
READ_ONLY = "narrative_read_only"
# One write transaction at a time per SQLite engine, queued in this process (see session_scope).
_WRITE_LOCKS: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()


def fold(value: str | None) -> str | None:
    """Lower case for comparing text in any script, as PostgreSQL's `lower()` does it: `Ü` is
    `ü`, and the Turkish `İ` is a plain `i` (Python alone makes it `i` plus a combining dot)."""
    if value is None:
        return None
    return value.replace("İ", "i").lower()


class folded(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """`fold()` in SQL: `lower()` on PostgreSQL; on SQLite, whose `lower()` only knows ASCII,
    the Python function registered on each connection."""

    type = String()
    name = "folded"
    inherit_cache = True


@compiles(folded)
def _folded_default(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"narrative_fold({compiler.process(element.clauses, **kw)})"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create the engine. SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        _tune_sqlite(engine)
        _WRITE_LOCKS[engine] = threading.RLock()
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        dbapi_connection.create_function("narrative_fold", 1, fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            # A reader: in WAL mode it sees one consistent snapshot and never blocks the writer.
            conn.exec_driver_sql("BEGIN")
            return
        # Take the write lock up front: a deferred transaction that later writes can fail with
        # "database is locked" without waiting, because SQLite cannot upgrade it safely.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    cfg.attributes["engine"] = engine
    return cfg


def compare_type(
    context: MigrationContext,
    inspected_column: Column[Any],
    metadata_column: Column[Any],
    inspected_type: TypeEngine[Any],
    metadata_type: TypeEngine[Any],
) -> bool | None:
    """Alembic's type comparison, except that on SQLite, which does not enforce VARCHAR
    lengths, a length is no difference (migration 0005 widened id columns on PostgreSQL only).
    None: Alembic compares as usual."""
    # SQLModel's AutoString is a TypeDecorator over String: compare what it stands for.
    plain = [
        t.impl_instance if isinstance(t, TypeDecorator) else t
        for t in (inspected_type, metadata_type)
    ]
    varchars = [t for t in plain if isinstance(t, String) and not isinstance(t, Text)]
    if context.dialect is not None and context.dialect.name == "sqlite" and len(varchars) == 2:
        return False
    return None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; an existing database keeps its data."""
    command.upgrade(alembic_config(engine), "heads")


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error.

    On SQLite, writers of this process take turns on a lock before their `BEGIN IMMEDIATE`:
    SQLite's own busy handler makes a waiting writer sleep in growing steps (up to 100 ms) and
    retry, so in a burst (200 people voting) writers convoy behind each other's sleeps and
    acknowledgements pass Slack's 3 s. Queued on a lock, the next writer starts the moment the
    previous one commits. Readers (`read_scope`) and PostgreSQL take no such lock."""
    lock = _WRITE_LOCKS.get(engine)
    # Bounded like SQLite's busy timeout: a writer that waits longer (a transaction held open
    # by mistake) goes on to SQLite's own wait, as before, instead of hanging.
    locked = lock is not None and lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    if lock is not None and not locked:
        log.warning("waited %s ms for this process's SQLite writers", SQLITE_BUSY_TIMEOUT_MS)
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if locked:
            assert lock is not None
            lock.release()


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for reading only, which commits nothing.

    On SQLite it does not take the write lock that every `session_scope` takes: a long read (an
    export of the whole log, a Home tab) runs beside votes and questions being stored instead of
    holding them up. It reads one consistent snapshot of the database, on PostgreSQL too."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    reader = engine.execution_options(**options)  # a few microseconds
    with Session(reader, expire_on_commit=False) as session:
        yield session  # closing the session rolls its transaction back


# How long a health check waits for SQLite's write lock (writes wait SQLITE_BUSY_TIMEOUT_MS).
SQLITE_PING_TIMEOUT_MS = 1_000


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query (on SQLite: can take the write lock
    within a second, since a database locked for longer takes no vote, question or timer)."""
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                _ping_sqlite(conn.connection.driver_connection)
            else:
                conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        log.warning("database ping failed", exc_info=True)
        return False


def _ping_sqlite(raw: Any) -> None:
    # The driver's connection is in autocommit (see _tune_sqlite), so nothing here goes through
    # the "begin" hook and its 15 s wait for the lock.
    raw.execute(f"PRAGMA busy_timeout={SQLITE_PING_TIMEOUT_MS}")
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


class month_of(FunctionElement[str]):  # noqa: N801 - used like a SQL function
    """The month of a stored (naive UTC) time as text, `YYYY-MM`, on either database."""

    type = String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of)
def _month_of_default(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(month_of, "sqlite")
def _month_of_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


class days_between(FunctionElement[float]):  # noqa: N801 - used like a SQL function
    """Days (with fractions) from the first stored time to the second, on either database."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end} - {start})) / 86400.0)"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({end}) - julianday({start}))"
