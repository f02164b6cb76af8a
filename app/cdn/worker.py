"""The purge worker: turns committed changes into purges and sends them until stopped.

One runs in every `dopys serve` process while CDN_PURGE is set (a thread started by the
app's lifespan). Any number may run against one PostgreSQL: dispatch is single-file (an
advisory lock) and purges are claimed with FOR UPDATE SKIP LOCKED and leased for longer
than a send may last, so no two workers send one purge; SQLite serializes writers.
"""

import functools
import logging
import threading
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.cdn import repository as repo
from app.cdn import service
from app.core.config import Settings
from app.core.db import make_session_factory, unit_of_work
from app.models import utcnow
from app.webhooks.worker import PRUNE_EVERY_SECONDS

if TYPE_CHECKING:
    from app.core import outbound

logger = logging.getLogger(__name__)

SENDS_A_ROUND = 8


class PurgeWorker:
    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.settings = settings
        self.reads: sessionmaker[Session] = make_session_factory(engine)
        self.writes: sessionmaker[Session] = make_session_factory(engine, write=True)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pruned_at: float | None = None

    @functools.cached_property
    def guard(self) -> "outbound.Guard":
        return service.make_guard(self.settings)

    def run_once(self) -> bool:
        """One round: queue the purges of new changes, send those due. True if there was work."""
        now = utcnow()
        if self._pruned_at is None or time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self.prune()
        with self.reads() as session:
            if not repo.has_work(session, now):
                return False
        with unit_of_work(self.writes) as session:
            queued = service.dispatch(session, self.settings, now)
        claimed = service.claim(self.writes, self.settings, SENDS_A_ROUND)
        results = [(row, service.send(self.guard, self.settings, row)) for row in claimed]
        service.record(self.writes, self.settings, results)
        for row, outcome in results:
            if not outcome.ok:
                logger.warning("CDN purge %s failed: %s", row.id, outcome.error)
        return queued > 0 or bool(claimed)

    def prune(self) -> None:
        """Forget purges finished longer ago than WEBHOOKS_RETENTION_DAYS."""
        self._pruned_at = time.monotonic()
        before = utcnow() - timedelta(days=self.settings.webhooks_retention_days)
        with unit_of_work(self.writes) as session:
            repo.prune(session, before)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database may be down: try again after a pause
                logger.exception("CDN purge round failed")
                busy = False
            if not busy:
                self._stop.wait(self.settings.cdn_purge_poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="cdn-purge", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.settings.cdn_purge_timeout_seconds * SENDS_A_ROUND + 5)
        guard: outbound.Guard | None = self.__dict__.get("guard")
        if guard is not None:
            guard.close()
