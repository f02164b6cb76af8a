"""The process's memory under glibc: how a long-running, threaded worker keeps it flat."""

import ctypes
import ctypes.util
import gc
import os
from functools import cache

from sqlalchemy import Engine

MALLOC_ARENAS = "2"
_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


@cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - raises AttributeError where libc is not glibc
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own arena, up to 8 a core: a worker's
    threadpool then spreads short-lived response buffers over many arenas and its RSS
    grows by tens of MB that it never returns. Two arenas (the environment variable for
    the worker processes uvicorn spawns, mallopt for this one) keep it flat."""
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    arenas = os.environ["MALLOC_ARENA_MAX"]
    libc = _glibc()
    if libc is not None and arenas.isdigit():  # glibc reads an operator's odd value itself
        libc.mallopt(_M_ARENA_MAX, int(arenas))


def release_freed_memory(engine: Engine | None = None) -> None:
    """After a bulk job (an import) has dropped its working set: collect cycles and give the
    freed heap back to the system (malloc_trim also returns free pages inside the heap), so
    the worker goes on serving reads at its usual size. SQLite connections keep in this
    process what the job left in them (its prepared statements, caches: ~15 MB after 5,000
    articles): the job's `engine` closes its pooled ones (requests reopen them)."""
    if engine is not None and engine.dialect.name == "sqlite":
        engine.dispose()
    gc.collect()
    trim_heap()


def trim_heap() -> None:
    """Free pages of the heap back to the system (glibc keeps them otherwise), without a
    collection: for buffers just freed, as a refused upload's (app.core.serving)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def freeze_startup_heap() -> None:
    """Called once the app is up: the objects made so far (modules, models, schemas, the
    routes; ~130,000) live as long as the process, so the cyclic collector stops walking
    them. Its full collections otherwise paused a worker under load for 100-250 ms (the p99
    of cached reads and 304s)."""
    gc.freeze()


def thaw_startup_heap() -> None:
    """At shutdown: a process that builds apps again (the tests) collects them as usual."""
    gc.unfreeze()
