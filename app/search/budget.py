"""What one search may cost: a time budget for its statements, and a stop when its client
goes away.

- SQLite: a progress handler on the connection, for the search's statements only, aborts
  them once the budget is spent or the search is stopped (`interrupt()` too, at once).
- PostgreSQL: `SET LOCAL statement_timeout` to what is left of the budget before each of
  the search's statements, so the server ends it even if this process is busy; a stop
  cancels the statement running (psycopg `cancel_safe`).

Over budget is a 503 with Retry-After (app.core.caching keeps only 200s, so it is never
served again as a success).
"""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.core.errors import AppError, ServiceUnavailable

R = TypeVar("R")
# SQLite virtual-machine steps between two looks at the clock. FTS5 reads its index in few
# steps (20,000 let a 200 ms budget run 1.8 s); at 1,000 a search costs no more, measured.
_SQLITE_STEPS = 1000
_RETRY_AFTER_S = 5
_PG_QUERY_CANCELED = "57014"
_PG_CANCEL_TIMEOUT_S = 2.0

logger = logging.getLogger(__name__)


class OverBudget(ServiceUnavailable):
    code, title = "search-over-budget", "Search took too long"

    def __init__(self, budget_ms: int) -> None:
        super().__init__(
            f"This search needed more than its {budget_ms} ms: try again shortly, or with "
            "fewer or rarer words.",
            headers={"Retry-After": str(_RETRY_AFTER_S), "Cache-Control": "no-store"},
        )


class ClientGone(AppError):
    """The client closed the connection: nobody reads this answer (nginx's 499)."""

    status, code, title = 499, "client-closed-request", "Client closed the request"


class Stop:
    """Set from another thread when the search's client has gone; interrupts the
    statement running, and any later one of the search."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set = False
        self._interrupt: Callable[[], object] | None = None

    @property
    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        with self._lock:
            self._set = True
            if self._interrupt is not None:
                try:
                    self._interrupt()
                except Exception:  # the budget still ends it
                    logger.warning("could not interrupt a search", exc_info=True)

    @contextmanager
    def interrupting(self, interrupt: Callable[[], object]) -> Iterator[None]:
        """While inside, `set` calls `interrupt` (only then: after it, the connection
        runs other statements)."""
        with self._lock:
            if self._set:
                raise ClientGone()
            self._interrupt = interrupt
        try:
            yield
        finally:
            with self._lock:
                self._interrupt = None


@contextmanager
def bounded(session: Session, budget_ms: int, stop: Stop | None = None) -> Iterator[None]:
    """Runs the statements inside within `budget_ms` (OverBudget past it), and stops them
    when `stop` is set (ClientGone)."""
    stop = stop or Stop()
    connection = session.connection()
    deadline = time.monotonic() + budget_ms / 1000
    bound = _sqlite_bound if connection.dialect.name == "sqlite" else _postgres_bound
    try:
        with bound(connection, deadline, stop, budget_ms):
            yield
    except OperationalError as error:
        if stop.is_set:
            raise ClientGone() from error
        if _cut_short(error):
            raise OverBudget(budget_ms) from error
        raise


def _cut_short(error: OperationalError) -> bool:
    """The statement was interrupted (SQLite) or cancelled (PostgreSQL)."""
    orig = error.orig
    return str(orig) == "interrupted" or getattr(orig, "sqlstate", None) == _PG_QUERY_CANCELED


@contextmanager
def _sqlite_bound(
    connection: Connection, deadline: float, stop: Stop, _budget_ms: int
) -> Iterator[None]:
    dbapi: Any = connection.connection.dbapi_connection

    def spent() -> bool:
        return stop.is_set or time.monotonic() > deadline

    dbapi.set_progress_handler(spent, _SQLITE_STEPS)
    try:
        with stop.interrupting(dbapi.interrupt):
            yield
    finally:
        dbapi.set_progress_handler(None, 0)


@contextmanager
def _postgres_bound(
    connection: Connection, deadline: float, stop: Stop, budget_ms: int
) -> Iterator[None]:
    def timeout(_conn: Connection, cursor: Any, *_args: Any) -> None:
        if stop.is_set:  # a cancel sent between two statements finds none to cancel
            raise ClientGone()
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            raise OverBudget(budget_ms)
        cursor.execute(f"SET LOCAL statement_timeout = {left_ms}")

    dbapi: Any = connection.connection.dbapi_connection
    event.listen(connection, "before_cursor_execute", timeout)
    try:
        with stop.interrupting(lambda: dbapi.cancel_safe(timeout=_PG_CANCEL_TIMEOUT_S)):
            yield
    finally:
        event.remove(connection, "before_cursor_execute", timeout)
    # The rest of the request's transaction runs without the search's limit.
    connection.exec_driver_sql("SET LOCAL statement_timeout TO DEFAULT")


async def until_disconnected(request: Request, work: Callable[[Stop], R]) -> R:
    """`work(stop)` in a worker thread; `stop` is set if the client goes away meanwhile,
    so the thread is freed at once instead of finishing a search nobody will read."""
    stop = Stop()

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        await run_in_threadpool(stop.set)  # a PostgreSQL cancel is a round trip

    watcher = asyncio.create_task(watch())
    try:
        return await run_in_threadpool(work, stop)
    finally:
        watcher.cancel()
