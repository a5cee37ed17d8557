"""Schema migrations of the catalog (Alembic), applied under a lock.

Several processes may open a new catalog at once; the upgrade runs inside one
transaction that holds SQLite's write lock (``BEGIN IMMEDIATE``) or a PostgreSQL
advisory lock, so exactly one of them migrates and the others see the result.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from etholake.catalog.engine import create_catalog_engine

MIGRATIONS = Path(__file__).with_name("migrations")
ADVISORY_LOCK_KEY = 0x6574686F  # "etho"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at etholake's migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this version of etholake."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the catalog schema to the newest revision, serialised across processes."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        if current_revision(connection) != head:
            command.upgrade(alembic_config(connection), "head")


def is_current(url: str) -> bool:
    """Whether a catalog with the newest schema exists at ``url``, found without creating or changing anything.

    False for a SQLite file that does not exist, an empty or older database,
    or a server that cannot be reached.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        return False
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        return False
    engine = create_catalog_engine(url)
    try:
        with engine.connect() as connection:
            return current_revision(connection) == head_revision()
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
