"""One render per miss: requests for a key that is being rendered wait for that render.

Used from the event loop only (no locking). A flight lands exactly once, with what its
leader made or with why it made nothing; waiting for it never cancels it (a waiter that
goes away leaves the others waiting), and a waiter gives up after `limit` seconds, so a
stuck leader holds nobody for long.
"""

import asyncio
from collections.abc import Hashable, Iterator
from enum import Enum
from typing import Generic, TypeVar

T = TypeVar("T")


class NoResult(Enum):
    UNSHARED = "unshared"  # nothing to share (an error, not public): each renders its own
    ABANDONED = "abandoned"  # the leader went away (cancelled): the next request leads
    TIMED_OUT = "timed out"  # the leader took longer than the waiter would wait


class Flight(Generic[T]):
    """One render under way."""

    __slots__ = ("_flights", "_key", "_landed", "waiters")

    def __init__(self, flights: "Flights[T]", key: Hashable) -> None:
        self._flights, self._key = flights, key
        self._landed: asyncio.Future[T | NoResult] = asyncio.get_running_loop().create_future()
        self.waiters = 0

    def land(self, result: "T | NoResult") -> None:
        """Hands `result` to the waiters; later calls do nothing. From now on a request for
        the key starts a new flight (so a waiter that finds the result stale can lead one)."""
        self._flights.forget(self._key, self)
        if not self._landed.done():
            self._landed.set_result(result)

    async def wait(self, limit: float) -> "T | NoResult":
        self.waiters += 1
        try:
            return await asyncio.wait_for(asyncio.shield(self._landed), limit)
        except TimeoutError:
            return NoResult.TIMED_OUT
        finally:
            self.waiters -= 1


class Flights(Generic[T]):
    """The flights under way, by key."""

    def __init__(self) -> None:
        self._under_way: dict[Hashable, Flight[T]] = {}

    def __len__(self) -> int:
        return len(self._under_way)

    def __iter__(self) -> "Iterator[Flight[T]]":
        return iter(list(self._under_way.values()))

    def get(self, key: Hashable) -> Flight[T] | None:
        return self._under_way.get(key)

    def start(self, key: Hashable) -> Flight[T]:
        assert key not in self._under_way, "one flight per key"
        flight = self._under_way[key] = Flight(self, key)
        return flight

    def forget(self, key: Hashable, flight: Flight[T]) -> None:
        if self._under_way.get(key) is flight:
            del self._under_way[key]
