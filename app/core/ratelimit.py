"""Rate limits on writes and imports, per API key and per client IP (429 with Retry-After).

Pure ASGI middleware in front of the routes, so every write is counted however it is routed.
The algorithm is GCRA (a token bucket kept as one timestamp per bucket): up to `limit`
requests at once, then one every `period / limit` seconds. Counters live in this process,
or in Redis when `redis_url` is set, so several workers share one budget.
"""

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.config import Settings
from app.core.errors import TooManyRequests
from app.core.guards import UNSAFE_METHODS, is_import, reject
from app.keys.service import bearer_key

logger = logging.getLogger(__name__)

PERIOD_SECONDS = 60.0


@dataclass(frozen=True)
class Bucket:
    key: str
    limit: int  # requests per PERIOD_SECONDS


class Store(Protocol):
    def hit(self, buckets: list[Bucket]) -> float:
        """Take one request from every bucket, or from none: the seconds to wait, 0 if allowed."""
        ...

    def close(self) -> None: ...


def _gcra(tat: float | None, now: float, limit: int) -> tuple[float, float]:
    """(seconds to wait, the bucket's next theoretical arrival time if allowed)."""
    emission = PERIOD_SECONDS / limit
    start = max(tat if tat is not None else now, now)
    return max(start - now - (PERIOD_SECONDS - emission), 0.0), start + emission


class MemoryStore:
    """One process's counters (the default: a single worker needs nothing else)."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def hit(self, buckets: list[Bucket]) -> float:
        with self._lock:
            now = time.monotonic()
            results = [_gcra(self._tats.get(b.key), now, b.limit) for b in buckets]
            wait = max((w for w, _ in results), default=0.0)
            if wait == 0.0:
                for bucket, (_, tat) in zip(buckets, results, strict=True):
                    self._tats[bucket.key] = tat
                if len(self._tats) > self.MAX_KEYS:
                    self._tats = {k: t for k, t in self._tats.items() if t > now}
            return wait

    def close(self) -> None:
        pass


# The same GCRA as _gcra, atomically over all the buckets, on the Redis server's clock.
# KEYS: bucket keys; ARGV: period in ms, then each bucket's emission interval in ms.
_GCRA_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local period = tonumber(ARGV[1])
local wait = 0
local tats = {}
for i, key in ipairs(KEYS) do
  local emission = tonumber(ARGV[i + 1])
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local over = tat - now - (period - emission)
  if over > wait then wait = over end
  tats[i] = tat + emission
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tostring(tats[i]), 'PX', math.ceil(tats[i] - now))
end
return '0'
"""


class RedisStore:
    """Counters shared by every worker. If Redis fails, requests pass (and we log): the
    limits protect the service, they must not take it down."""

    def __init__(self, url: str, prefix: str) -> None:
        # Imported here: a deployment without REDIS_URL never pays its memory (~6 MB a worker).
        import redis

        self._errors = redis.RedisError
        self._client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_GCRA_LUA)
        self._prefix = prefix

    def hit(self, buckets: list[Bucket]) -> float:
        keys = [f"{self._prefix}:{b.key}" for b in buckets]
        args = [PERIOD_SECONDS * 1000] + [PERIOD_SECONDS * 1000 / b.limit for b in buckets]
        try:
            wait_ms = float(self._script(keys=keys, args=args))
        except self._errors as exc:
            logger.warning("rate-limit store unavailable, letting the request through: %s", exc)
            return 0.0
        return wait_ms / 1000

    def close(self) -> None:
        self._client.close()


def make_store(settings: Settings) -> Store:
    if settings.redis_url:
        return RedisStore(settings.redis_url, settings.rate_limit_prefix)
    return MemoryStore()


def _api_key_id(scope: Scope) -> str | None:
    """A digest of the API key, read as authentication reads it (bearer_key): counts per
    key without a database lookup. An unknown key gets its own bucket and still spends its
    IP's; a malformed header has no key bucket (it is refused with a 401 anyway)."""
    lines = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"authorization"
    ]
    key = bearer_key(lines) if lines else None
    return hashlib.sha256(key.encode()).hexdigest()[:32] if key is not None else None


class RateLimiter:
    def __init__(self, app: ASGIApp, *, settings: Settings, store: Store) -> None:
        self.app = app
        self.settings = settings
        self.store = store

    def buckets(self, scope: Scope) -> list[Bucket]:
        """The buckets a request spends from; none for reads."""
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            return []
        s = self.settings
        if is_import(scope["method"], scope["path"]):
            kind, per_key, per_ip = (
                "import",
                s.import_rate_limit_per_minute,
                (s.import_rate_limit_per_ip_per_minute),
            )
        else:
            kind, per_key, per_ip = (
                "write",
                s.write_rate_limit_per_minute,
                (s.write_rate_limit_per_ip_per_minute),
            )
        client = scope.get("client")
        key_id = _api_key_id(scope)
        buckets = [Bucket(f"{kind}:ip:{client[0] if client else 'unknown'}", per_ip)]
        if key_id is not None:
            buckets.append(Bucket(f"{kind}:key:{key_id}", per_key))
        return [b for b in buckets if b.limit > 0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        buckets = self.buckets(scope)
        if buckets:
            if isinstance(self.store, MemoryStore):
                wait = self.store.hit(buckets)
            else:
                wait = await run_in_threadpool(self.store.hit, buckets)
            if wait > 0:
                retry_after = max(1, math.ceil(wait))
                error = TooManyRequests(
                    f"Rate limit exceeded; retry in {retry_after} s.",
                    headers={"Retry-After": str(retry_after)},
                )
                await reject(scope, receive, send, error)
                return
        await self.app(scope, receive, send)
