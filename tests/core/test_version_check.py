"""The per-request data-version check sees every commit, from any connection or process,
on SQLite through the WAL-index header and on PostgreSQL through its own connection."""

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from app.core.caching import Version, VersionProbe
from app.core.db import is_sqlite


@pytest.fixture
def probe(db: Engine, database_url: str) -> Iterator[VersionProbe]:
    probe = VersionProbe(database_url)
    yield probe
    probe.dispose()


def _bump(db: Engine) -> None:
    """A commit by another connection, as another worker or `dopys import` makes."""
    with db.begin() as conn:
        conn.execute(text("UPDATE sync_state SET seq = seq + 1, changed_at = CURRENT_TIMESTAMP"))


def _read(probe: VersionProbe, database_url: str) -> Version:
    if is_sqlite(database_url):
        return probe.version()
    return asyncio.run(probe.version_async())


def test_every_commit_is_seen_by_the_next_check(
    probe: VersionProbe, db: Engine, database_url: str
) -> None:
    seen = [_read(probe, database_url)]
    for n in range(40):
        assert _read(probe, database_url) == seen[-1]  # nothing committed: the same
        _bump(db)
        if n % 10 == 9 and is_sqlite(database_url):
            with db.connect() as conn:  # the WAL starts over: its header changes otherwise
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        seen.append(_read(probe, database_url))
        assert seen[-1][0] == seen[-2][0] + 1


def test_on_sqlite_an_unchanged_database_costs_no_statement(
    probe: VersionProbe, db: Engine, database_url: str
) -> None:
    if not is_sqlite(database_url):
        pytest.skip("the WAL-index header is SQLite's")
    probe.version()
    probe.version()  # now the header seen before a query is known
    connection: sqlite3.Connection = probe._inline.driver_connection
    statements: list[str] = []
    connection.set_trace_callback(statements.append)
    first = probe.version()
    assert probe.version() == first
    assert statements == []
    _bump(db)
    assert probe.version()[0] == first[0] + 1
    assert statements and "sync_state" in statements[-1]
