"""Run Alembic from code: the CLI, `serve` on an empty database, and the test fixtures.

Upgrades and downgrades hold a lock, so that any number of processes may start at once
(replicas, pods, `dopys db upgrade` twice): one migrates, the others wait for it and then
find the schema at head. PostgreSQL: a session advisory lock, held on a connection of its
own while Alembic runs on another. SQLite: the database's write lock, taken with `BEGIN
IMMEDIATE` on the connection Alembic then migrates in (a second connection could not
write while the first holds it), committed once at the end.

Alembic is imported when a command runs, not with this module: `dopys serve`'s worker
processes import the CLI module again (multiprocessing's spawn) and would otherwise each
hold Alembic and Mako (about 8 MB) for nothing."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from app.core.db import WRITE_OPTION, create_db_engine, is_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

# pg_advisory_lock's key: any bigint the application uses for nothing else ("dopys" in ASCII).
ADVISORY_LOCK_KEY = 0x646F707973

# Called once if another process holds the lock and this one waits for it.
OnWait = Callable[[], None]


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["url"] = url
    return config


class MigrationRefused(Exception):
    """Alembic refused the command (an unknown revision, a database at a revision these
    migrations do not know): its message, for one line of output."""


def upgrade(url: str, revision: str = "head", *, on_wait: OnWait | None = None) -> None:
    from alembic import command

    with _locked(url, on_wait) as config, _refusals():
        command.upgrade(config, revision)


def downgrade(url: str, revision: str = "base", *, on_wait: OnWait | None = None) -> None:
    from alembic import command

    with _locked(url, on_wait) as config, _refusals():
        command.downgrade(config, revision)


@contextmanager
def _refusals() -> Iterator[None]:
    from alembic.util import CommandError

    try:
        yield
    except CommandError as exc:
        raise MigrationRefused(str(exc)) from exc


def check(url: str) -> None:
    """Raise if the models describe a schema the migrations do not build."""
    from alembic import command

    command.check(alembic_config(url))


def serialize(connection: Connection) -> None:
    """Make the caller's transaction wait for any other one that called this (setup steps
    that check, then write, such as loading the demo in replicas starting together).
    PostgreSQL: a transaction advisory lock; SQLite's writers are serialized already."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})


@contextmanager
def _locked(url: str, on_wait: OnWait | None) -> Iterator["Config"]:
    """Alembic's configuration for `url`, with this process holding the migration lock."""
    config = alembic_config(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            if is_sqlite(url):
                with _sqlite_write_lock(connection, on_wait):
                    config.attributes["connection"] = connection  # see migrations/env.py
                    yield config
            else:
                with _advisory_lock(connection, on_wait):
                    yield config
    finally:
        engine.dispose()


@contextmanager
def _advisory_lock(connection: Connection, on_wait: OnWait | None) -> Iterator[None]:
    connection.execution_options(isolation_level="AUTOCOMMIT")
    key = {"key": ADVISORY_LOCK_KEY}
    if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key):
        if on_wait is not None:
            on_wait()
        connection.execute(text("SELECT pg_advisory_lock(:key)"), key)
    try:
        yield
    finally:  # (closing the connection would release it too, as would the process's end)
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


@contextmanager
def _sqlite_write_lock(connection: Connection, on_wait: OnWait | None) -> Iterator[None]:
    """A transaction that holds the write lock from its start (app.core.db._begin_sqlite),
    in which Alembic runs every migration (it sees the transaction and leaves it to us).
    Tried once without waiting, so that a wait is announced; then with the busy timeout,
    again and again, as pg_advisory_lock waits for as long as the migration takes."""
    connection.execution_options(**{WRITE_OPTION: True})
    raw = connection.connection.dbapi_connection
    assert raw is not None
    (timeout,) = raw.execute("PRAGMA busy_timeout").fetchone()
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                transaction = connection.begin()
                break
            except OperationalError as exc:
                if "locked" not in str(exc.orig):
                    raise
                connection.rollback()
            if on_wait is not None:
                on_wait()
                on_wait = None
            raw.execute(f"PRAGMA busy_timeout={int(timeout)}")
    finally:
        raw.execute(f"PRAGMA busy_timeout={int(timeout)}")
    with transaction:
        yield
