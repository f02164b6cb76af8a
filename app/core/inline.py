"""Public reads on SQLite run on the event loop; on PostgreSQL in worker threads.

FastAPI runs every plain `def` endpoint and dependency in a worker thread. Each of those hops
(a thread pool handoff and a wake-up of the event loop) costs more CPU than a SQLite read of
a stored page takes: measured, the hops were about half the CPU of an uncached feed page.
A read of a local SQLite file in WAL mode never waits for a writer, so it is cheaper done in
place; a PostgreSQL query waits on the network, so it keeps its thread.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

P = ParamSpec("P")
R = TypeVar("R")


def runs_in_place(bind: Session | Engine) -> bool:
    """Whether database work on `bind` runs on the event loop (SQLite)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "sqlite"


async def run_read(
    bind: Session | Engine, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """`work(*args, **kwargs)` in place on SQLite, else in a worker thread."""
    if runs_in_place(bind):
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)


def public_read(endpoint: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Makes a plain endpoint that reads through its `session` argument run as run_read
    says, and end that session where it ran (no second thread hop to end it). FastAPI
    reads the signature through `__wrapped__`."""

    @functools.wraps(endpoint)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session: Any = kwargs["session"]
        # From here the endpoint's thread ends the session, even if this request is
        # cancelled meanwhile: ending it from here as well would race that thread.
        session.info[_ENDED_KEY] = True
        return await run_read(session, _ending_session, session, lambda: endpoint(*args, **kwargs))

    return run


def _ending_session(session: Session, work: Callable[[], R]) -> R:
    try:
        result = work()
    except BaseException:
        end_read(session, commit=False)
        raise
    end_read(session, commit=True)
    return result


_ENDED_KEY = "dopys.ended"


def end_read(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close a read session; `ended` says it was."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


def ended(session: Session) -> bool:
    """Whether the session is ended, or will be, by the endpoint's own thread."""
    return bool(session.info.get(_ENDED_KEY))
