"""Database engines for the catalog: SQLite (default, WAL) and PostgreSQL.

SQLite is made safe for several processes: write-ahead logging, a 60 s busy
timeout and ``BEGIN IMMEDIATE`` transactions, so two writers queue instead of
failing with "database is locked" when one upgrades its read lock.
"""

from __future__ import annotations

import random
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

from etholake.errors import ConfigError
from etholake.output_files import folder_problem

BUSY_TIMEOUT_MS = 60_000


def _use_write_ahead_log(cursor: sqlite3.Cursor) -> None:
    """Switch a new database to write-ahead logging, waiting out other processes doing the same.

    The switch needs an exclusive lock, and SQLite answers "database is locked"
    at once, without its busy timeout, when several processes open a new file
    together; those retry until the busy timeout has passed. A database already
    in WAL mode (the mode is stored in the file) is only read.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
            if mode != "wal":
                mode = cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            mode = "locked"
        if mode == "wal":
            return
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(
                f"could not switch the catalog to WAL mode within {BUSY_TIMEOUT_MS // 1000} s (journal mode: {mode})"
            )
        time.sleep(random.uniform(0.005, 0.05))


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _use_write_ahead_log(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def shown_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``: fit to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def database_problem(error: DBAPIError) -> str:
    """The first line of the database driver's own message, without SQLAlchemy's statement and links."""
    return str(error.orig if error.orig is not None else error).strip().splitlines()[0]


def missing_table(error: DBAPIError) -> bool:
    """Whether ``error`` says a table does not exist (a database that ``etholake init`` never set up)."""
    problem = database_problem(error)
    return problem.startswith("no such table") or (
        getattr(error.orig, "sqlstate", None) == "42P01"  # PostgreSQL's undefined_table
    )


def create_catalog_engine(url: str, *, create: bool = True) -> Engine:
    """Create an engine for a catalog URL.

    Parameters
    ----------
    url
        ``sqlite:///path/catalog.sqlite`` or ``postgresql+psycopg://user@host:port/db``
        (``postgresql://`` is read as psycopg 3).
    create
        Whether a SQLite file that does not exist may be created (with its folder).
        Without it, a missing file is refused before anything is written.

    Returns
    -------
    sqlalchemy.Engine
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigError(f"invalid catalog URL {url!r}: {error}") from error
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            if not create and not Path(parsed.database).is_file():
                raise ConfigError(f"the catalog {shown_url(url)} does not exist: run `etholake init` first")
            problem = folder_problem(Path(parsed.database).parent)
            if problem:
                raise ConfigError(f"catalog {shown_url(url)}: {problem}")
        engine = create_engine(parsed, poolclass=NullPool)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise ConfigError(f"unsupported catalog database {backend!r} in {url!r}: use sqlite:/// or postgresql+psycopg://")
