"""The data ceiling: the SQL the product runs for a request, replayed through the same
driver (sqlite3 / psycopg, same connection settings) with the rows encoded to JSON, in a loop
in one process, no HTTP. What it manages per second is what the database and encoding alone
can do.

The SQL is captured, not rewritten: each benchmark request is sent once to the product app
in-process with a cursor hook on its engines, and every statement with its parameters is
recorded (BEGIN included on SQLite, where the app issues it itself)."""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import cycle
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session

from app.articles.repository import DATA_VERSION_SQL, is_public
from app.core.config import Settings
from app.core.db import create_db_engine
from app.main import create_app
from app.models import Article
from bench.load import Request

Statement = tuple[str, Any]  # SQL text in the driver's paramstyle, its parameters
IDENTITY = {"Accept-Encoding": "identity"}  # wrk sends no Accept-Encoding
COMMIT, ROLLBACK = "-- commit", "-- rollback"  # transaction ends, replayed as driver calls


@dataclass(frozen=True)
class DataResult:
    ops: float  # whole requests' worth of SQL + JSON per second
    p50_ms: float
    p99_ms: float
    statements: int  # per request, rendering it from the database

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@contextmanager
def _recording(engines: list[Engine]) -> Iterator[list[Statement]]:
    seen: list[Statement] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    def commit(_conn: Any) -> None:
        seen.append((COMMIT, None))

    def rollback(_conn: Any) -> None:
        seen.append((ROLLBACK, None))

    hooks: dict[str, Callable[..., None]] = {
        "before_cursor_execute": record,
        "commit": commit,
        "rollback": rollback,
    }
    for engine in engines:
        for name, hook in hooks.items():
            event.listen(engine, name, hook)
    try:
        yield seen
    finally:
        for engine in engines:
            for name, hook in hooks.items():
                event.remove(engine, name, hook)


# Where the version probe's raw-cursor reads (which bypass SQLAlchemy's events) are recorded.
_RAW_READS: list[list[Statement]] = []


def _record_raw_reads(probe: Any) -> None:
    """The per-request check reads through a raw cursor (SQLite) or its own async
    connection (PostgreSQL), past the engine events: count it here."""
    read, read_async = probe.version, probe.version_async

    def note() -> None:
        if _RAW_READS:
            _RAW_READS[0].append((DATA_VERSION_SQL, ()))

    def recorded() -> Any:
        note()
        return read()

    async def recorded_async() -> Any:
        note()
        return await read_async()

    probe.version, probe.version_async = recorded, recorded_async


@dataclass(frozen=True)
class Captured:
    cold: list[list[Statement]]  # per request, on a fresh app: everything it takes to render
    warm: list[int]  # statements when the same request comes again (a cache may answer)


def capture(database_url: str, requests: list[Request], expect: int, base_url: str) -> Captured:
    """The statements the product runs for each request (answered with status `expect`),
    asked as wrk asks (same host, no compression) so the bodies and ETags are the same."""
    app = create_app(Settings(database_url=database_url))
    engines = [app.state.engine, app.state.read_engine]
    probe = getattr(app.state, "version_probe", None)  # the response cache's freshness check
    if probe is not None:
        if probe._engine is not None:  # SQLite's; PostgreSQL's check has its own connection
            engines.append(probe._engine)
        _record_raw_reads(probe)
    engines = list({id(e): e for e in engines}.values())
    captured = Captured(cold=[], warm=[])
    with TestClient(app, base_url=base_url) as client:
        for path, headers in requests:
            for statements in (captured.cold, None):
                with _recording(engines) as seen:
                    _RAW_READS[:] = [seen]
                    response = client.get(path, headers={**IDENTITY, **headers})
                if response.status_code != expect:
                    raise RuntimeError(f"{path} answered {response.status_code}, not {expect}")
                if statements is None:
                    captured.warm.append(count_sql(seen))
                else:
                    statements.append(list(seen))
    return captured


def offset_variant(
    database_url: str, keyset: list[Statement], offset: int, limit: int
) -> list[Statement]:
    """`keyset` (a deep feed page's statements) with its page query replaced by the same
    query positioned with OFFSET instead of the cursor's row comparison."""
    engine = create_db_engine(database_url)
    query = (
        select(Article.id, Article.published_at)
        .where(is_public(datetime.now().astimezone()))
        .order_by(Article.published_at.desc(), Article.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    with _recording([engine]) as seen, Session(engine) as session:
        session.execute(query).all()
    engine.dispose()
    page_query = next(s for s in seen if s[0].lstrip().upper().startswith("SELECT"))
    at = next(i for i, (sql, _) in enumerate(keyset) if "ORDER BY articles.published_at" in sql)
    return [*keyset[:at], page_query, *keyset[at + 1 :]]


def count_sql(statements: list[Statement]) -> int:
    """Statements sent to the database (BEGIN included, commits and rollbacks not)."""
    return sum(1 for sql, _ in statements if sql not in (COMMIT, ROLLBACK))


def _in_transaction(conn: Any) -> bool:
    return bool(getattr(conn, "in_transaction", False))


def replay(database_url: str, captured: list[list[Statement]], seconds: float) -> DataResult:
    """Run the captured requests' SQL in a loop (rotating over them) for `seconds`."""
    engine = create_db_engine(database_url)
    raw = engine.raw_connection()  # with the app's connect-time settings (SQLite pragmas)
    conn = raw.driver_connection
    assert conn is not None
    timings: list[float] = []
    try:
        requests = cycle(captured)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            statements = next(requests)
            started = time.perf_counter()
            cursor = conn.cursor()
            results = []
            for sql, params in statements:
                if sql == COMMIT:
                    conn.commit()
                elif sql == ROLLBACK:
                    conn.rollback()
                elif sql.lstrip().upper().startswith("BEGIN") and _in_transaction(conn):
                    continue  # sqlite3 opened one implicitly: the captured BEGIN is that one
                else:
                    cursor.execute(sql, params)
                    results.append(cursor.fetchall() if cursor.description else None)
            cursor.close()
            conn.commit()
            orjson.dumps(results, default=str)
            timings.append(time.perf_counter() - started)
    finally:
        raw.close()
        engine.dispose()
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return DataResult(
        ops=len(timings) / sum(timings),
        p50_ms=cuts[49] * 1000,
        p99_ms=cuts[98] * 1000,
        statements=max(count_sql(s) for s in captured),
    )
