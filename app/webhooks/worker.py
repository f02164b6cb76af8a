"""The delivery worker: dispatches outbox events and sends deliveries until stopped.

One runs in every `dopys serve` process (a thread started by the app's lifespan) and as
`dopys webhooks work`. Any number may run against one PostgreSQL: dispatch is single-file
(an advisory lock) and deliveries are claimed with FOR UPDATE SKIP LOCKED, then leased, so
no two workers send one delivery. On SQLite writers are serialized by the database lock.
"""

import contextlib
import functools
import logging
import os
import threading
import time
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
    import httpx2

logger = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 3600.0
NICENESS = 10  # deliveries give way to requests and imports when CPU is short


def _lower_priority() -> None:
    """Run this thread at a lower CPU priority (Linux schedules threads one by one)."""
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: normal priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)


class DeliveryWorker:
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
        self._thread: threading.Thread | None = None
        self._pruned_at: float | None = None

    @functools.cached_property
    def client(self) -> "httpx2.Client":
        """Made on the first delivery: a server that sends none never loads the client."""
        return delivery.make_client(self.settings.webhooks_timeout_seconds)

    def run_once(self) -> bool:
        """One round: dispatch due events, send due deliveries. True if there was work."""
        now = utcnow()
        if self._pruned_at is None or time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self.prune()
        with self.reads() as session:
            if not repo.has_pending_work(session, now):
                return False
        with unit_of_work(self.writes) as session:
            dispatched = service.dispatch(session, self.settings, now)
        sent = service.deliver_round(self.writes, self.settings, self.client, self.executor)
        return dispatched > 0 or sent > 0

    def prune(self) -> None:
        """Forget what finished longer ago than WEBHOOKS_RETENTION_DAYS."""
        self._pruned_at = time.monotonic()
        before = utcnow() - timedelta(days=self.settings.webhooks_retention_days)
        with unit_of_work(self.writes) as session:
            repo.prune(session, before)

    def send_now(self, delivery_id: int) -> None:
        """Send one delivery right away (`dopys webhooks test`)."""
        service.deliver_round(
            self.writes, self.settings, self.client, self.executor, only=delivery_id
        )

    def run(self) -> None:
        _lower_priority()
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be down: try again after a pause
                logger.exception("webhook worker round failed")
                busy = False
            if not busy:
                self._stop.wait(self.settings.webhooks_poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="webhook-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.webhooks_timeout_seconds + 5)
        self.close()

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        client: httpx2.Client | None = self.__dict__.get("client")  # made, if it was
        if client is not None:
            client.close()
