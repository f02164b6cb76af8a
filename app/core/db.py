"""Engines and session factories. Sessions commit in the request dependency, never in services."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Execution option that marks a connection as one that will write (see _begin_sqlite).
WRITE_OPTION = "dopys_write"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control away from pysqlite so that BEGIN is ours (SQLAlchemy docs,
    # "Serializable isolation / Savepoints / Transactional DDL").
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "foreign_keys=ON",
        # INSERT OR REPLACE then fires DELETE triggers for the rows it replaces, so the
        # trigger-maintained search index (migrations: article_search) never keeps them.
        "recursive_triggers=ON",
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "busy_timeout=30000",
        # 256 KB of page cache a connection, not 2 MB: a worker pools up to 15 of them (at
        # 1 MB they held ~20 MB of its RSS under load), and the operating system caches
        # the file anyway.
        "cache_size=-256",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _begin_sqlite(conn: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that reads and then
    # writes fails with SQLITE_BUSY instead of waiting when another writer got in between.
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_db_engine(url: str, *, connect_timeout: int = 5) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # Pre-ping finds connections the server dropped, so the pool heals by itself once the
    # database is back; the connect timeout turns an unreachable server into a prompt 503
    # instead of requests hanging on the TCP handshake.
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": connect_timeout},
    )


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA busy_timeout=200")


def create_probe_engine(url: str) -> Engine:
    """The SQLite engine of the one-row freshness check every public GET makes: it runs on
    the event loop, so it never waits long for a lock. (PostgreSQL's check has its own
    AsyncConnection: app.core.caching.)"""
    engine = create_db_engine(url)
    event.listen(engine, "connect", _short_busy_timeout)
    return engine


def make_session_factory(
    engine: Engine, *, write: bool = False, info: dict[str, Any] | None = None
) -> sessionmaker[Session]:
    """`info` goes on every session (app.articles.fragments keeps its renderer there)."""
    bind: Engine
    if write:
        bind = engine.execution_options(**{WRITE_OPTION: True})
    elif engine.dialect.name == "postgresql":
        # A read runs several queries (ids, then translations, tags...): they must all see
        # one snapshot, or an article deleted in between breaks the response. Read-only
        # REPEATABLE READ transactions never fail on conflicts. (SQLite's read transactions
        # are snapshots already.)
        bind = engine.execution_options(isolation_level="REPEATABLE READ")
    else:
        bind = engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=False, info=info)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Commit on success, roll back on any error: how code outside a request writes."""
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
