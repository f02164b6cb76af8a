"""HTTP caching for every public GET, and the in-process response cache behind it.

A public route opts in with one dependency (`PUBLIC` in its router's `dependencies`).
`PublicCacheMiddleware` then gives its 200 responses a strong ETag (a hash of the body;
`-br`/`-gzip` appended for compressed variants), Last-Modified, Cache-Control and Vary, and
answers If-None-Match / If-Modified-Since with a bodiless 304.

Rendered responses are kept in a size-capped LRU keyed by the request (scheme, host, path,
query sorted by name, negotiated language) and stamped with the data version they were
rendered from: `sync_state` (seq, changed_at), which every write moves. A cached entry is
served only after one cheap query shows it has not moved, and never past the next scheduled
go-live time it saw (an article becomes public then with no write). So a publish is
visible on the next request to any worker or process, and a hit or a 304 costs that one
query and no rendering.

After a write, an entry whose route declared what it shows (`depends_on`, keys of
app.core.changes) stays current if the write changed none of it: the change journal says
what each write changed, read once per process and write (`KnownChanges`). Its ETag and
Last-Modified stay, so clients' 304s keep working.

A miss on a public route is rendered once per process: requests for the same key that
come while it is being rendered wait for that render (app.core.flights) and are answered
from the entry it made, after the same check a hit gets.
"""

import asyncio
import email.utils
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar
from urllib.parse import parse_qsl

import anyio.to_thread
from fastapi import Depends, Header, Request
from fastapi.routing import iter_route_contexts
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.articles.repository import DATA_VERSION_SQL, DataState, data_state
from app.core import changes
from app.core import surrogate_keys as cdn_keys
from app.core.changes import EVERYTHING
from app.core.compression import ENCODED_KEY, IDENTITY, encode, is_compressible, negotiate
from app.core.config import Settings
from app.core.db import create_probe_engine, is_sqlite
from app.core.flights import Flight, Flights, NoResult
from app.core.i18n import negotiate_lang
from app.core.sqlite_wal import WalMarker
from app.models import utcnow

if TYPE_CHECKING:
    from psycopg import AsyncConnection

logger = logging.getLogger(__name__)

SCOPE_KEY = "dopys.cache"
PUBLIC_VARY = "Accept-Language, Accept-Encoding"
_THREAD_COMPRESS_BYTES = 128 * 1024  # compress bigger bodies off the event loop
# A request waits for a render of its key under way at most this long (renders take
# milliseconds; a leader stuck on a hung connection must not hold the others), and for
# at most this many renders (each found stale or abandoned) before it renders its own.
FLIGHT_WAIT_S = 10.0
_MAX_WAITS = 3


# ---- the data version ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Freshness:
    """What a rendered response was made from, and until when it can stand for the data."""

    version: "Version"
    last_modified: datetime  # whole seconds: what Last-Modified can say
    expires_at: datetime | None  # the next scheduled go-live
    last_modified_header: str
    # The keys (app.core.changes) of what it shows, as the route declared them
    # (`depends_on`); None: everything, so that any write makes it stale.
    depends: frozenset[str] | None = None

    @classmethod
    def of(cls, state: DataState, version: "Version") -> "Freshness":
        moments = [state.changed_at, *filter(None, [state.latest_live])]
        last_modified = max(moments).astimezone(UTC).replace(microsecond=0)
        return cls(
            version=version,
            last_modified=last_modified,
            expires_at=state.next_live,
            last_modified_header=email.utils.format_datetime(last_modified, usegmt=True),
        )

    def holds(self, version: "Version | None", now: datetime) -> bool:
        return version == self.version and self.live(now)

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


# The data version: sync_state's (seq, changed_at) as the driver returns them. The counter
# alone would repeat after a database is restored or recreated under a running server;
# with the time of the change, a version is never seen twice.
Version = tuple[int, Any]
T = TypeVar("T")
JournalRow = tuple[int, Any, str]  # a change_journal row: seq, changed_at (driver's), keys

# The journal rows read at once; a process further behind than that starts over.
JOURNAL_ROWS = 5_000
_JOURNAL_SQL = (
    "SELECT seq, changed_at, keys FROM change_journal WHERE seq >= {0} ORDER BY seq LIMIT {0}"
)
_UNKNOWN = object()


class KnownChanges:
    """What this process learnt from the change journal (app.models.sync.ChangeJournal):
    for each key, the last change number that changed it.

    An entry stamped (seq, changed_at) is judged by it only if the journal row at `seq`
    has that changed_at: the entry was made from the history learnt, not from one restored
    under the server. Learning goes on from the last row learnt, whose row must still be
    the same; anything else (a restore, a write that left no row, rows pruned) starts over
    from the current version, which leaves the entries stamped before it stale. Used from
    the event loop only."""

    LIMIT = 50_000  # changes and keys remembered; past it, start over

    def __init__(self) -> None:
        self._upto: Version | None = None  # the last row learnt
        self._stamps: dict[int, Any] = {}  # changed_at of each row learnt, by seq
        self._last: dict[str, int] = {}  # the last seq that changed each key

    @property
    def since(self) -> int | None:
        """Where to read the journal from (the last row learnt, to check it is the same)."""
        return None if self._upto is None else self._upto[0]

    def start(self, version: Version) -> None:
        """A first stamp: learning starts from there."""
        if self._upto is None:
            self.restart(version)

    def restart(self, version: Version) -> None:
        self._upto = version
        self._stamps = {version[0]: version[1]}
        self._last = {}

    def covers(self, version: Version) -> bool:
        return bool(self._stamps.get(version[0], _UNKNOWN) == version[1])

    def learn(self, rows: Sequence[JournalRow]) -> None:
        """`rows`: the journal from `since` on, in order. Learns nothing unless the first is
        a row already learnt (the caller then finds its version uncovered and restarts)."""
        assert self._upto is not None
        if not rows or not self.covers((rows[0][0], rows[0][1])) or len(rows) > JOURNAL_ROWS:
            return
        for seq, changed_at, keys in rows:
            if seq > self._upto[0]:
                self._stamps[seq] = changed_at
                for key in changes.decode(keys):
                    self._last[key] = seq
                self._upto = (seq, changed_at)
        if len(self._stamps) + len(self._last) > self.LIMIT:
            self.restart(self._upto)

    def unchanged(self, freshness: Freshness) -> bool:
        """Whether nothing `freshness` depends on changed after it was stamped, as far as
        learnt (the caller checked that this covers the current version)."""
        seq = freshness.version[0]
        if freshness.depends is None or not self.covers(freshness.version):
            return False
        return all(self._last.get(key, seq) <= seq for key in (EVERYTHING, *freshness.depends))


class VersionProbe:
    """Reads the data version. `version()` / `version_async()` are the per-request check, on the
    cheapest path each database has; `freshness_on()` (the stamp of a render) runs on the
    render's own connection, as the first query of its transaction. `max_age` > 0 lets a
    reading be reused that long (a configured window of staleness; 0, the default, checks on
    every request).

    - SQLite (`inline`): `version()` from the event loop, a raw DB-API cursor on one connection
      kept for it (SQLAlchemy's connection layer costs several times the query itself), and
      not even that while the WAL-index header shows no commit since (app.core.sqlite_wal).
      A read of a local file is cheaper than a hop to a worker thread, and it cannot hang on
      a network.
    - PostgreSQL: `version_async()`, on the event loop too, through one autocommit psycopg
      AsyncConnection: no thread hop, no pool checkout. SharedReading runs one check at a
      time, so one connection serves a worker."""

    def __init__(self, url: str, max_age: float = 0.0, connect_timeout: int = 5) -> None:
        self.inline = is_sqlite(url)
        self._engine = create_probe_engine(url) if self.inline else None
        self._inline: Any = None
        self._wal: WalMarker | None = None
        self._marked: tuple[bytes, Version] | None = None  # WAL header, version read after it
        self._remote = None if self.inline else _AsyncVersionReader(url, connect_timeout)
        self._max_age = max_age
        self._last: tuple[float, Version] | None = None
        self.known = KnownChanges()

    def version(self) -> Version:
        """SQLite: while the WAL-index header is the one seen just before the last query,
        nothing has committed since, and that query's answer still stands."""
        marker = self._wal.read() if self._wal is not None else None
        if marker is not None and self._marked is not None and marker == self._marked[0]:
            return self._remember(self._marked[1])
        opened = self._inline is None
        if opened:
            assert self._engine is not None, "PostgreSQL's check is version_async()"
            self._inline = self._engine.raw_connection()
        try:
            version = _read_version(self._inline)
        except Exception:
            self._drop_inline()  # never reuse a broken connection
            raise
        if opened:  # once a connection (a database not in WAL mode has no marker)
            self._wal = WalMarker.of(self._inline.driver_connection)
        self._marked = (marker, version) if marker is not None else None
        return self._remember(version)

    def journal(self, since: int) -> list[JournalRow]:
        """SQLite: the change journal from `since` on, on the connection of `version()`."""
        if self._inline is None:
            self.version()
        cursor = self._inline.cursor()
        try:
            cursor.execute(_JOURNAL_SQL.format("?"), (since, JOURNAL_ROWS + 1))
            rows: list[JournalRow] = cursor.fetchall()
        except Exception:
            self._drop_inline()
            raise
        cursor.close()
        return rows

    async def journal_async(self, since: int) -> list[JournalRow]:
        assert self._remote is not None, "a SQLite read runs inline: call journal()"
        return await self._remote.fetch(_JOURNAL_SQL.format("%s"), (since, JOURNAL_ROWS + 1))

    def _drop_inline(self, *, invalidate: bool = True) -> None:
        self._wal, self._marked = None, None
        if self._inline is not None:
            if invalidate:
                self._inline.invalidate()
            else:
                self._inline.close()
            self._inline = None

    async def version_async(self) -> Version:
        assert self._remote is not None, "a SQLite check runs inline: call version()"
        return self._remember(await self._remote.version())

    def _remember(self, version: Version) -> Version:
        if self._max_age > 0:
            self._last = (time.monotonic(), version)
        return version

    def recent_version(self) -> Version | None:
        """A reading young enough to reuse, without touching the database."""
        if self._last is None or time.monotonic() - self._last[0] > self._max_age:
            return None
        return self._last[1]

    def freshness_on(self, conn: Connection, now: datetime) -> Freshness:
        """The stamp of a render about to read the data through `conn`: the version is
        read first, so a stamp is never newer than the data it describes (as the first
        query of the render's own transaction, it is that transaction's snapshot)."""
        # Through SQLAlchemy, so that a lost connection is a DBAPIError (a 503) and is
        # dropped from the pool; text SQL returns the driver's values, as the check's.
        version = _version_of(conn.exec_driver_sql(DATA_VERSION_SQL).one())
        freshness = Freshness.of(data_state(conn, now), version)
        self._remember(version)
        return freshness

    def dispose(self) -> None:
        self._drop_inline(invalidate=False)
        if self._remote is not None:
            self._remote.drop()
        if self._engine is not None:
            self._engine.dispose()


def _read_version(dbapi_connection: Any) -> Version:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(DATA_VERSION_SQL)
        return _version_of(cursor.fetchone())
    finally:
        cursor.close()


def _version_of(row: Any) -> Version:
    assert row is not None, "sync_state has its one row from the first migration"
    return int(row[0]), row[1]


class _AsyncVersionReader:
    """The check on PostgreSQL: an autocommit AsyncConnection (SharedReading runs one check
    at a time), made on first use in the running event loop (a connection belongs to one
    loop; tests run several)."""

    def __init__(self, url: str, connect_timeout: int) -> None:
        self._conninfo = (
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._connect_timeout = connect_timeout
        self._idle: list[AsyncConnection[Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._generation = 0  # bumped by drop(): connections out at the time are not kept

    async def version(self) -> Version:
        rows = await self.fetch(DATA_VERSION_SQL)
        return _version_of(rows[0] if rows else None)

    async def fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        generation = self._generation
        connection = await self._connection()
        try:
            cursor = await connection.execute(sql, params or None)
            rows = await cursor.fetchall()
        except BaseException:
            connection.pgconn.finish()  # a failed or cancelled query leaves it in doubt
            raise
        if generation == self._generation:
            self._idle.append(connection)
        else:  # dropped while it ran
            connection.pgconn.finish()
        return rows

    async def _connection(self) -> "AsyncConnection[Any]":
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self.drop()
            self._loop = loop
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed:
                return connection
        # Imported here: a SQLite deployment never loads the driver.
        from psycopg import AsyncConnection

        return await AsyncConnection.connect(
            self._conninfo, autocommit=True, connect_timeout=self._connect_timeout
        )

    def drop(self) -> None:
        """Closes the connections from any thread or loop (libpq's own close, no await)."""
        for connection in self._idle:
            connection.pgconn.finish()
        self._idle.clear()
        self._generation += 1


class SharedReading(Generic[T]):
    """Concurrent requests share one version check, without losing freshness: a request
    waits for a check that *starts* after it arrived (the next one, if one is already
    running), so every answer reflects every write committed before the request came in.
    Under load one check serves a whole batch of requests. (Letting checks overlap, so
    that a late request need not wait out the running one, was measured: it made batches
    smaller and cost more CPU a request than the wait saved.)"""

    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._next: asyncio.Future[T] | None = None  # the check not started yet
        self._runner: asyncio.Task[None] | None = None

    async def read(self) -> T:
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            # Waiters may all be gone (disconnected) by the time it fails: mark it seen.
            self._next.add_done_callback(lambda f: f.cancelled() or f.exception())
        waiting = self._next
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await asyncio.shield(waiting)

    async def _run(self) -> None:
        while self._next is not None:
            current, self._next = self._next, None  # later arrivals wait for the next check
            try:
                value = await self._read()
            except asyncio.CancelledError:
                current.cancel()
                if self._next is not None:
                    self._next.cancel()
                raise
            except Exception as exc:
                current.set_exception(exc)
            else:
                current.set_result(value)


# ---- the in-process LRU --------------------------------------------------------------

RawHeaders = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Variant:
    """One content-coding of an entry, with its response headers built once."""

    body: bytes
    etag: str
    headers: RawHeaders  # for a 200
    validators: RawHeaders  # for a 304


@dataclass(slots=True)
class Entry:
    """One rendered 200 and its variants (compressed ones made on first demand)."""

    freshness: Freshness
    headers: RawHeaders  # what the route set, minus what the cache sets
    etag_base: str
    compressible: bool
    cache_control: bytes
    vary: bytes
    key_bytes: int  # what its key holds, counted against the budget too
    cdn: RawHeaders = field(default_factory=list)  # surrogate keys, the CDN's Cache-Control
    variants: dict[str, Variant] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(v.body) for v in self.variants.values()) + self.key_bytes + 512

    def add(self, coding: str, body: bytes) -> Variant:
        etag = f'"{self.etag_base}"' if coding == IDENTITY else f'"{self.etag_base}-{coding}"'
        validators = [
            (b"etag", etag.encode()),
            (b"last-modified", self.freshness.last_modified_header.encode()),
            (b"cache-control", self.cache_control),
            (b"vary", self.vary),
            *self.cdn,
        ]
        headers = [*self.headers, *validators, (b"content-length", str(len(body)).encode())]
        if coding != IDENTITY:
            headers.append((b"content-encoding", coding.encode()))
        variant = Variant(body, etag, headers, validators)
        self.variants[coding] = variant
        return variant


class ResponseCache:
    """LRU bounded by the bytes it holds. Used from the event loop only (no locking)."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, entry: Entry) -> None:
        self.discard(key)
        if entry.size > self.max_entry_bytes or self.max_bytes == 0:
            return
        self._entries[key] = entry
        self.bytes += entry.size
        self._shrink()

    def grew(self, key: Hashable, entry: Entry, added: int) -> None:
        """`entry` gained a variant of `added` bytes."""
        if self._entries.get(key) is entry:
            self.bytes += added
            self._shrink()

    def discard(self, key: Hashable) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size

    def _shrink(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            _, old = self._entries.popitem(last=False)
            self.bytes -= old.size


# ---- conditional requests ------------------------------------------------------------


def etag_matches(if_none_match: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2): W/ is ignored."""
    if if_none_match.strip() == "*":
        return True
    return any(
        candidate.strip().removeprefix("W/") == etag for candidate in if_none_match.split(",")
    )


def _http_date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def not_modified(request: Mapping[str, str], etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:  # most often the one ETag a client was given: no parsing
        return if_none_match == etag or etag_matches(if_none_match, etag)
    if_modified_since = request.get("if-modified-since")
    if not if_modified_since:
        return False
    since = _http_date(if_modified_since)
    return since is not None and last_modified <= since


# The request headers the cache looks at, read in one pass over the raw list.
_WANTED = frozenset(
    {
        b"host",
        b"accept-language",
        b"accept-encoding",
        b"if-none-match",
        b"if-modified-since",
        b"authorization",
        b"origin",
        b"content-length",
        b"transfer-encoding",
    }
)


def request_headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:  # servers give names in lower case (ASGI spec)
            text = value.decode("latin-1")
            key = name.decode()
            found[key] = f"{found[key]}, {text}" if key in found else text
    return found


# Memoized parsing keeps only short inputs, so that odd, long requests cannot fill memory.
_MEMO_LIMIT = 512
# Requests with longer query strings are answered but not cached (ours stay far below).
MAX_CACHED_QUERY = 4096


def normal_query(query_string: bytes) -> tuple[tuple[tuple[str, str], ...], str | None]:
    """The query sorted by name (stably: repeated names keep their order, as the app reads
    them) and the explicit `lang`, parsed exactly as Starlette parses it."""
    if len(query_string) <= _MEMO_LIMIT:
        return _normal_query(query_string)
    return _normal_query.__wrapped__(query_string)


@lru_cache(maxsize=4096)
def _normal_query(query_string: bytes) -> tuple[tuple[tuple[str, str], ...], str | None]:
    query = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    query.sort(key=lambda pair: pair[0])
    explicit = next((v for k, v in reversed(query) if k == "lang"), None)
    return tuple(query), explicit


# ---- the middleware ------------------------------------------------------------------


@dataclass(slots=True)
class Exchange:
    """Per-request notes the route dependency leaves for the middleware."""

    public: bool = False
    freshness: Freshness | None = None
    depends: frozenset[str] | None = None  # `depends_on`: joins the freshness when kept


_OWN_HEADERS = {b"content-length", b"cache-control", b"vary", b"etag", b"last-modified"}
# Set by the front door on a request it could not answer, so the middleware does not
# parse the same headers and key again.
_LOOKUP_KEY = "dopys.cache.lookup"


class PublicCache:
    """The response cache and the logic of both its paths: answering a hit (from the front
    door, before any middleware, or from the middleware), and keeping what a route rendered."""

    def __init__(
        self,
        *,
        settings: Settings,
        probe: VersionProbe,
        cache: ResponseCache,
        minimum_compress_size: int,
        routes: Sequence[BaseRoute] = (),
    ) -> None:
        self.settings = settings
        self.probe = probe
        self.cache = cache
        self.flights: Flights[Entry] = Flights()
        self._routes = routes  # the app's, read on first use (all are included by then)
        self._public_routes: list[tuple[re.Pattern[str], bool]] | None = None
        self._memo_shares = lru_cache(maxsize=4096)(self._public_path)
        self.minimum_compress_size = minimum_compress_size
        self.cache_control = settings.cache_control_public.encode()
        self._cors = bool(settings.cors_origins)
        # With CORS on, whether a response carries Access-Control-Allow-Origin depends on
        # the request's Origin: a shared cache must not hand one browser's copy to another.
        self.vary = (PUBLIC_VARY + (", Origin" if self._cors else "")).encode()
        self._cdn_control: RawHeaders = (
            [
                (
                    settings.cdn_cache_control_header.lower().encode(),
                    settings.cdn_cache_control.encode(),
                )
            ]
            if settings.cdn_cache_control_header
            else []
        )
        # Looked up on each check, so that a wrapped probe (bench/data_ceiling.py) counts it.
        self._shared = SharedReading(lambda: probe.version_async())
        self._learning = SharedReading(self._learn_async)
        self._memo_lang = lru_cache(maxsize=1024)(self._negotiate_lang)

    def _negotiate_lang(self, explicit: str | None, accept_language: str | None) -> str | None:
        """As the routes negotiate (app.core.deps.get_lang); None: a lang= they refuse."""
        s = self.settings
        return negotiate_lang(explicit, accept_language, s.site_languages, s.default_lang)

    def _lang(self, explicit: str | None, accept_language: str | None) -> str | None:
        if len(explicit or "") + len(accept_language or "") <= _MEMO_LIMIT:
            return self._memo_lang(explicit, accept_language)
        return self._negotiate_lang(explicit, accept_language)

    def key(self, scope: Scope, headers: Mapping[str, str]) -> Hashable:
        query, explicit = normal_query(scope.get("query_string", b""))
        lang = self._lang(explicit, headers.get("accept-language"))
        return (
            scope.get("scheme"),
            headers.get("host"),
            scope.get("root_path", ""),
            scope["path"],
            query,
            lang,
        )

    async def answer_early(self, scope: Scope, send: Send) -> bool:
        """The front door, in front of every middleware: answers a GET from the cache when
        no layer has anything to add (no CORS origin to answer, no body to bound), and
        says whether it did. What it learnt is left in the scope for the middleware."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        headers = request_headers(scope)
        if (self._cors and "origin" in headers) or _has_body(headers):
            return False
        key = self.key(scope, headers)
        scope[_LOOKUP_KEY] = (headers, key)
        return await self.answer(scope, key, headers, send)

    def lookup(self, scope: Scope) -> tuple[dict[str, str], Hashable]:
        found: tuple[dict[str, str], Hashable] | None = scope.pop(_LOOKUP_KEY, None)
        if found is not None:
            return found
        headers = request_headers(scope)
        return headers, self.key(scope, headers)

    async def answer(
        self, scope: Scope, key: Hashable, headers: Mapping[str, str], send: Send
    ) -> bool:
        """Answers from the cache if it holds a current entry for `key`."""
        entry = self.cache.get(key)
        if entry is None:
            return False
        if await self.answer_with(scope, key, entry, headers, send):
            return True
        self.cache.discard(key)  # the render that follows replaces it
        return False

    async def answer_with(
        self, scope: Scope, key: Hashable, entry: Entry, headers: Mapping[str, str], send: Send
    ) -> bool:
        """Answers with `entry` if it still stands for the data, checked after the request
        came (`_current`)."""
        if not await self._current(entry):
            return False
        await self._respond(scope, key, entry, headers, send)
        return True

    async def _current(self, entry: Entry) -> bool:
        """Whether the entry still stands for the data: its version is current or, after
        writes, none of them changed what it depends on (told by the change journal)."""
        version = await self._version()
        freshness, now = entry.freshness, utcnow()
        if freshness.holds(version, now):
            return True
        if version is None or freshness.depends is None or not freshness.live(now):
            return False
        known = await self._known(version)
        if known is None or not known.unchanged(freshness):
            return False
        entry.freshness = replace(freshness, version=version)  # judged once per write
        return True

    async def _known(self, version: Version) -> KnownChanges | None:
        """What changed up to `version`, learnt from the journal once per process and
        version (concurrent requests share one read). None if the read failed."""
        known = self.probe.known
        if known.covers(version):
            return known
        if known.since is not None:
            try:
                if self.probe.inline:
                    known.learn(self.probe.journal(known.since))
                else:
                    await self._learning.read()
            except Exception:
                logger.warning("change journal read failed", exc_info=True)
                return None
        if not known.covers(version):  # no row for it: entries stamped before go stale
            known.restart(version)
        return known

    async def _learn_async(self) -> None:
        since = self.probe.known.since
        assert since is not None
        self.probe.known.learn(await self.probe.journal_async(since))

    async def _version(self) -> Version | None:
        recent = self.probe.recent_version()
        if recent is not None:
            return recent
        try:
            if self.probe.inline:
                return self.probe.version()
            return await self._shared.read()
        except Exception:
            # Whatever the driver raised, render instead: the route then reports the
            # database's state properly (503 when it is unreachable).
            logger.warning("data version check failed", exc_info=True)
            return None

    def shares(self, scope: Scope) -> bool:
        """Whether misses of this GET share one render: it goes to a public route (others,
        editor reads and probes, are never shared, so they need not wait)."""
        path, root = scope["path"], scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        if len(path) <= _MEMO_LIMIT:
            return bool(self._memo_shares(path))
        return self._public_path(path)

    def _public_path(self, path: str) -> bool:
        """As the router picks: the first GET route whose path matches."""
        if self._public_routes is None:
            self._public_routes = [
                (
                    context.path_regex,
                    any(
                        getattr(d, "dependency", None) is public_response
                        for d in getattr(context, "dependencies", ())
                    ),
                )
                for context in iter_route_contexts(self._routes)
                if hasattr(context, "path_regex") and "GET" in (context.methods or {"GET"})
            ]
        return next((public for regex, public in self._public_routes if regex.match(path)), False)

    def private_marker(self, headers: Mapping[str, str], send: Send) -> Send:
        """Responses to authenticated requests must stay out of shared caches."""
        if "authorization" not in headers:
            return send

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(raw=message["headers"])
                response_headers.setdefault("cache-control", self.settings.cache_control_private)
            await send(message)

        return marked

    def entry_for(self, scope: Scope, exchange: Exchange, start: Message, body: bytes) -> Entry:
        assert exchange.freshness is not None
        raw = [(k, v) for k, v in start["headers"] if k.lower() not in _OWN_HEADERS]
        content_type = Headers(raw=raw).get("content-type", "")
        entry = Entry(
            freshness=replace(exchange.freshness, depends=exchange.depends),
            headers=raw,
            etag_base=hashlib.blake2b(body, digest_size=12).hexdigest(),
            compressible=len(body) >= self.minimum_compress_size and is_compressible(content_type),
            cache_control=self.cache_control,
            vary=self.vary,
            key_bytes=2 * (len(scope["path"]) + len(scope.get("query_string", b""))),
            cdn=self._cdn_headers(exchange.depends),
        )
        entry.add(IDENTITY, body)
        return entry

    def _cdn_headers(self, depends: frozenset[str] | None) -> RawHeaders:
        """What a CDN in front is told (README "Behind a CDN"): the keys a purge names."""
        header = self.settings.cdn_key_header
        if not header:
            return self._cdn_control
        value = cdn_keys.response_header(depends, header)
        return [(header.lower().encode(), value.encode()), *self._cdn_control]

    async def keep_and_answer(
        self,
        scope: Scope,
        key: Hashable,
        entry: Entry,
        request: Mapping[str, str],
        send: Send,
    ) -> None:
        if len(scope.get("query_string", b"")) <= MAX_CACHED_QUERY:
            self.probe.known.start(entry.freshness.version)
            self.cache.put(key, entry)
        await self._respond(scope, key, entry, request, send)

    async def _respond(
        self, scope: Scope, key: Hashable, entry: Entry, request: Mapping[str, str], send: Send
    ) -> None:
        coding = negotiate(request.get("accept-encoding", "")) if entry.compressible else IDENTITY
        variant = entry.variants.get(coding) or await self._compress(key, entry, coding)
        scope[ENCODED_KEY] = True  # coding and Vary are settled: compression keeps off
        if not_modified(request, variant.etag, entry.freshness.last_modified):
            start = {"type": "http.response.start", "status": 304, "headers": [*variant.validators]}
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [*variant.headers]})
        await send({"type": "http.response.body", "body": variant.body})

    async def _compress(self, key: Hashable, entry: Entry, coding: str) -> Variant:
        plain = entry.variants[IDENTITY].body
        if len(plain) >= _THREAD_COMPRESS_BYTES:
            body = await anyio.to_thread.run_sync(encode, plain, coding)
        else:
            body = encode(plain, coding)
        variant = entry.add(coding, body)
        self.cache.grew(key, entry, len(body))
        return variant


def _has_body(headers: Mapping[str, str]) -> bool:
    length = headers.get("content-length")
    return "transfer-encoding" in headers or (length is not None and length.strip() != "0")


class PublicCacheMiddleware:
    """Closest to the routes: answers hits the front door left to it (CORS requests), and
    keeps every public 200 a route renders."""

    def __init__(self, app: ASGIApp, *, public_cache: PublicCache) -> None:
        self.app = app
        self.public_cache = public_cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cache = self.public_cache
        if scope["method"] != "GET":
            await self.app(scope, receive, cache.private_marker(request_headers(scope), send))
            return
        headers, key = cache.lookup(scope)
        if await cache.answer(scope, key, headers, send):
            return
        if not cache.shares(scope):
            await self._render(scope, receive, send, headers, key, None)
            return
        for _ in range(_MAX_WAITS):
            flight = cache.flights.get(key)
            if flight is None:
                await self._lead(scope, receive, send, headers, key)
                return
            result = await flight.wait(FLIGHT_WAIT_S)
            if isinstance(result, Entry):
                # Made from the data as it was when its render began: if a write has
                # committed since (perhaps before this request came), it is not the answer.
                if await cache.answer_with(scope, key, result, headers, send):
                    return
            elif result is not NoResult.ABANDONED:
                break  # nothing to share, or too slow: render alone
        await self._render(scope, receive, send, headers, key, None)

    async def _lead(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str], key: Hashable
    ) -> None:
        """Renders for everyone who comes for `key` meanwhile; however it ends, they go on."""
        flight = self.public_cache.flights.start(key)
        try:
            await self._render(scope, receive, send, headers, key, flight)
        except asyncio.CancelledError:
            flight.land(NoResult.ABANDONED)
            raise
        finally:
            flight.land(NoResult.UNSHARED)  # if nothing landed: a failure not to share

    async def _render(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        key: Hashable,
        flight: Flight[Entry] | None,
    ) -> None:
        exchange = Exchange()
        scope[SCOPE_KEY] = exchange
        capture = _Capture(self.public_cache, scope, key, exchange, headers, send, flight)
        await self.app(scope, receive, capture.send)


class _Capture:
    """Holds a public 200 back until its body is complete, then caches and answers it."""

    def __init__(
        self,
        cache: PublicCache,
        scope: Scope,
        key: Hashable,
        exchange: Exchange,
        request: Mapping[str, str],
        send: Send,
        flight: Flight[Entry] | None,
    ) -> None:
        self.cache, self.scope, self.key = cache, scope, key
        self.exchange, self.request, self.flight = exchange, request, flight
        self.passthrough: Send = cache.private_marker(request, send)
        self.start: Message | None = None
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if (
                self.exchange.public
                and self.exchange.freshness is not None
                and message["status"] == 200
            ):
                self.start = message
                return
            if self.flight is not None:
                self.flight.land(NoResult.UNSHARED)
        elif message["type"] == "http.response.body" and self.start is not None:
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                await self.finish()
            return
        await self.passthrough(message)

    async def finish(self) -> None:
        assert self.start is not None
        cache = self.cache
        entry = cache.entry_for(self.scope, self.exchange, self.start, b"".join(self.chunks))
        if self.flight is not None:
            # Shared even if not kept (too large, odd query): the waiters asked for it.
            self.flight.land(entry)
        await cache.keep_and_answer(self.scope, self.key, entry, self.request, self.passthrough)


# ---- the route side ------------------------------------------------------------------


async def public_response(
    request: Request,
    if_none_match: Annotated[
        str | None,
        Header(description="ETags you hold (comma-separated): 304 with no body if one is current."),
    ] = None,
    if_modified_since: Annotated[
        str | None,
        Header(
            description="An HTTP date: 304 if nothing changed since. Ignored with If-None-Match."
        ),
    ] = None,
) -> None:
    """Marks a route's responses public and cacheable. The route's read session stamps
    them (`stamp`) before it reads any data; a route without one is not cached."""
    exchange: Exchange | None = request.scope.get(SCOPE_KEY)
    if exchange is not None:
        exchange.public = True


def wants_stamp(request: Request) -> bool:
    exchange: Exchange | None = request.scope.get(SCOPE_KEY)
    return exchange is not None and exchange.public and exchange.freshness is None


def stamp(request: Request, conn: Connection) -> None:
    """Stamps a public response with the data version read through `conn` now, before any
    of its data: the first query of the read's transaction, so the stamp is exactly the
    snapshot the response is rendered from."""
    exchange: Exchange = request.scope[SCOPE_KEY]
    probe: VersionProbe = request.app.state.version_probe
    exchange.freshness = probe.freshness_on(conn, utcnow())


PUBLIC = Depends(public_response)


def depends_on(request: Request, keys: Iterable[str]) -> None:
    """Narrows what this request's response depends on to `keys` (app.core.changes): a
    write that changes none of them leaves its cached copy current (same ETag). Without
    it, any write makes the copy stale. A route calls it with what it rendered."""
    exchange: Exchange | None = request.scope.get(SCOPE_KEY)
    if exchange is not None:
        exchange.depends = frozenset(keys)


def valid_until(request: Request, moment: datetime | None) -> None:
    """This request's response changes at `moment` with no write (a time window moves on):
    a cached copy is not served from then on."""
    exchange: Exchange | None = request.scope.get(SCOPE_KEY)
    if exchange is None or exchange.freshness is None or moment is None:
        return
    expires = exchange.freshness.expires_at
    if expires is None or moment < expires:
        exchange.freshness = replace(exchange.freshness, expires_at=moment)


def depending_on(*keys: str) -> Any:
    """A router dependency for routes whose responses all depend on `keys`."""

    def narrow(request: Request) -> None:
        depends_on(request, keys)

    return Depends(narrow)


def _header(description: str, example: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if example is not None:
        schema["example"] = example
    return {"description": description, "schema": schema}


_VALIDATORS = {
    "ETag": _header(
        "Strong validator of this representation (`-br`/`-gzip` marks compressed variants).",
        '"3f2a9c0b1d4e5f60718293a4"',
    ),
    "Last-Modified": _header(
        "When the public data last changed (a write, or a scheduled article going live).",
        "Tue, 02 Jul 2024 10:00:00 GMT",
    ),
    "Cache-Control": _header(
        "Configurable (`CACHE_CONTROL_PUBLIC`).", "public, max-age=30, stale-while-revalidate=300"
    ),
    "Vary": _header("What else selects the representation.", PUBLIC_VARY),
}


def public_responses(*, link: bool = False) -> dict[int | str, dict[str, Any]]:
    """`responses=` documenting the caching headers of a public route, and its 304."""
    headers = {
        **_VALIDATORS,
        "Content-Language": _header("Language of the response.", "uk"),
        "Content-Encoding": _header("`br` or `gzip` when the client accepts it."),
    }
    if link:
        headers["Link"] = _header('RFC 8288 `<...>; rel="next"` to the next page, if any.')
    return {
        200: {"headers": headers},
        304: {
            "description": "Not modified: the ETag (or date) you sent is still current.",
            "headers": _VALIDATORS,
        },
    }


def versioned_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` documenting the headers of an editor read: its version as ETag."""
    headers = {
        "ETag": _header("The article's version: send it back in If-Match.", '"3"'),
        "Cache-Control": _header("Never stored by shared caches.", "private, no-store"),
    }
    return {status: {"headers": headers} for status in statuses or (200,)}


def install(app: Any, settings: Settings) -> PublicCache:
    """Adds the middleware; the probe and the cache go on app.state. Returns the cache,
    whose `answer_early` the app calls before its middleware stack."""
    url = settings.database_read_url or settings.database_url
    probe = VersionProbe(
        url, settings.response_cache_version_max_age, settings.database_connect_timeout
    )
    cache = ResponseCache(settings.response_cache_bytes, settings.response_cache_entry_bytes)
    public_cache = PublicCache(
        settings=settings,
        probe=probe,
        cache=cache,
        minimum_compress_size=settings.compression_min_bytes,
        routes=app.routes,
    )
    app.state.version_probe = probe
    app.state.response_cache = cache
    app.add_middleware(PublicCacheMiddleware, public_cache=public_cache)
    return public_cache
