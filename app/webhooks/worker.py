"""The delivery worker: dispatches outbox events and sends deliveries until stopped.

One runs in every `dopys serve` process (a thread started by the app's lifespan) and as
`dopys webhooks work`. Any number may run against one PostgreSQL: dispatch is single-file
(an advisory lock) and deliveries are claimed with FOR UPDATE SKIP LOCKED, then leased for
longer than a send may last and renewed while it runs, so no two workers send one
delivery. On SQLite writers are serialized by the database lock.
"""

import contextlib
import functools
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import make_session_factory, unit_of_work
from app.models import utcnow
from app.webhooks import delivery, service
from app.webhooks import repository as repo

if TYPE_CHECKING:
    from app.core import outbound

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
NICENESS = 10  # deliveries give way to requests and imports when CPU is short


def _lower_priority() -> None:
    """Run this thread at a lower CPU priority (Linux schedules threads one by one)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


class DeliveryWorker:
    """Sends each claimed delivery on its own (up to WEBHOOKS_CONCURRENCY at once, at most
    WEBHOOKS_CONCURRENCY_PER_TARGET per webhook) and records it when it is done, so a
    slow receiver holds one slot until its deadline and nothing else; the leases of sends
    in flight are renewed, so no other worker takes one while it is being sent."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.settings = settings
        self.reads: sessionmaker[Session] = make_session_factory(engine)
        self.writes: sessionmaker[Session] = make_session_factory(engine, write=True)
        self.executor = ThreadPoolExecutor(
            max_workers=settings.webhooks_concurrency,
            thread_name_prefix="webhook-send",
            initializer=_lower_priority,
        )
        self._stop = threading.Event()
        self._done = threading.Event()  # a send finished: a slot is free
        self._thread: threading.Thread | None = None
        self._pruned_at: float | None = None
        self._lock = threading.Lock()
        self._flying: dict[int, int] = {}  # delivery id -> subscription id
        self._renewed_at = time.monotonic()

    @functools.cached_property
    def guard(self) -> "outbound.Guard":
        """Made on the first delivery: a server that sends none never loads the client."""
        return delivery.make_guard(
            self.settings.webhooks_allow_private, self.settings.webhooks_concurrency
        )

    def run_once(self) -> bool:
        """One round: dispatch due events, start sending what is due and fits the free
        slots, renew the leases of sends in flight. True if there was work."""
        now = utcnow()
        if self._pruned_at is None or time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self.prune()
        self._renew()
        with self.reads() as session:
            if not repo.has_pending_work(session, now):
                return False
        with unit_of_work(self.writes) as session:
            dispatched = service.dispatch(session, self.settings, now)
        return dispatched > 0 or self._start_sends() > 0

    def _start_sends(self, only: int | None = None) -> int:
        with self._lock:
            free = self.settings.webhooks_concurrency - len(self._flying)
            busy = Counter(self._flying.values())
        if free <= 0:
            return 0
        claimed = service.claim(self.writes, self.settings, limit=free, busy=busy, only=only)
        for row in claimed:
            with self._lock:
                self._flying[row.id] = row.subscription_id
            self.executor.submit(self._send, row)
        return len(claimed)

    def _send(self, row: repo.Claimed) -> None:
        try:
            outcome = service.send(self.guard, self.settings, row)
            service.record(self.writes, self.settings, [(row, outcome)])
        except Exception:  # the lease lapses and the delivery is tried again
            logger.exception("webhook delivery %s failed", row.id)
        finally:
            with self._lock:
                del self._flying[row.id]
            self._done.set()

    def _renew(self) -> None:
        """Every quarter lease: the sends in flight keep their deliveries."""
        if time.monotonic() - self._renewed_at < service.lease_seconds(self.settings) / 4:
            return
        self._renewed_at = time.monotonic()
        with self._lock:
            ids = list(self._flying)
        if ids:  # no write transaction for nothing
            service.renew(self.writes, self.settings, ids)

    def prune(self) -> None:
        """Forget what finished longer ago than WEBHOOKS_RETENTION_DAYS."""
        self._pruned_at = time.monotonic()
        before = utcnow() - timedelta(days=self.settings.webhooks_retention_days)
        with unit_of_work(self.writes) as session:
            repo.prune(session, before)

    def send_now(self, delivery_id: int) -> None:
        """Send one delivery right away and wait for it (`dopys webhooks test`)."""
        self._start_sends(only=delivery_id)
        self.executor.shutdown(wait=True)

    def run(self) -> None:
        _lower_priority()
        while not self._stop.is_set():
            self._done.clear()
            try:
                busy = self.run_once()
            except Exception:  # the database may be down: try again after a pause
                logger.exception("webhook worker round failed")
                busy = False
            if not busy:  # until a slot frees, a lease wants renewing, or the poll
                self._done.wait(self._pause())

    def _pause(self) -> float:
        return min(self.settings.webhooks_poll_seconds, service.lease_seconds(self.settings) / 4)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhooks_timeout_seconds + 5)
        self.close()

    def close(self) -> None:
        """Waits for the sends in flight (each ends by its deadline) and records them."""
        self.executor.shutdown(wait=True)
        guard: outbound.Guard | None = self.__dict__.get("guard")  # made, if it was
        if guard is not None:
            guard.close()
