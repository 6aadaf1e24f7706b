"""The database schema evolves through Alembic migrations (`migrations/versions/`).

`upgrade(engine)` brings a database to the latest revision. It runs whenever a `Store` opens
(so a deployment upgrades on start) and from `ai-strategy db upgrade`. Processes starting
together take turns: a PostgreSQL advisory lock held for the migration's transaction, a file
lock beside a SQLite database. A database created before migrations existed has the baseline
tables already; revision 0001 adopts them as they are, later revisions change them in place.
"""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from bot.storage import messages

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# PostgreSQL advisory lock held while migrating ("ai-strategy" in ASCII, as a bigint).
SCHEMA_LOCK_KEY = 0x61692D7374726174

# Alembic narrates every step at INFO; the store logs the one line that matters.
logging.getLogger("alembic").setLevel(logging.WARNING)
log = logging.getLogger(__name__)


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["version_table"] = VERSION_TABLE
    return config


def head_revision() -> str:
    """The latest revision this code knows."""
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None before its first migration."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(engine: Engine) -> str:
    """Migrate the database to the latest revision (a no-op when it is there); returns it."""
    head = head_revision()
    with _one_migrator_at_a_time(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))
        config = _config(connection)
        before = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
        if before != head:
            command.upgrade(config, "head")
            log.info(messages.log_migrated(before, head))
    return head


@contextmanager
def _one_migrator_at_a_time(engine: Engine) -> Iterator[None]:
    """Across processes on one machine, for a SQLite file (PostgreSQL locks in the database)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
