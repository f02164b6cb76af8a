"""An app with its delivery worker running fast, a receiver, and admin keys."""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import unit_of_work
from app.keys.service import create_key
from app.main import create_app
from app.models import DeliveryState, KeyScope, WebhookDelivery
from tests.conftest import RecordingClient
from tests.webhooks.receiver import Receiver, receiving

# Retries after 0.3, 0.6 and 1.2 s (±10%): a fault test sees the backoff in seconds.
FAST: dict[str, Any] = {
    "webhooks_worker": True,
    "webhooks_poll_seconds": 0.05,
    "webhooks_allow_private": True,
    "webhooks_retry_schedule": [0.3, 0.6, 1.2],
    "webhooks_retry_jitter": 0.1,
    "webhooks_timeout_seconds": 3,
}
FAST_ENV = {
    "WEBHOOKS_WORKER": "true",
    "WEBHOOKS_POLL_SECONDS": "0.1",
    "WEBHOOKS_ALLOW_PRIVATE": "true",
    "WEBHOOKS_TIMEOUT_SECONDS": "2",
    # Keeps retrying (every half second) while a receiver is down for a while.
    "WEBHOOKS_RETRY_SCHEDULE": "[" + ", ".join(["0.5"] * 60) + "]",
    "WEBHOOKS_RETRY_JITTER": "0.1",
}


@pytest.fixture
def hooked(db: Engine, database_url: str) -> Iterator[RecordingClient]:
    """HTTP into an app whose lifespan runs the delivery worker."""
    with RecordingClient(create_app(Settings(database_url=database_url, **FAST))) as client:
        yield client
        assert client.server_errors == []


@pytest.fixture
def app_with(db: Engine, database_url: str) -> Iterator[Callable[..., RecordingClient]]:
    """HTTP into apps running the delivery worker with FAST settings changed by keywords."""
    with ExitStack() as stack:
        clients: list[RecordingClient] = []

        def make(**settings: Any) -> RecordingClient:
            config = Settings(database_url=database_url, **{**FAST, **settings})
            clients.append(stack.enter_context(RecordingClient(create_app(config))))
            return clients[-1]

        yield make
    assert [e for c in clients for e in c.server_errors] == []


@pytest.fixture
def admin_headers(sessions: sessionmaker[Session]) -> dict[str, str]:
    with unit_of_work(sessions) as session:
        secret = create_key(session, name="test-admin", scope=KeyScope.ADMIN).secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def subscribe(
    client: TestClient, headers: dict[str, str], url: str, **extra: Any
) -> dict[str, Any]:
    response = client.post("/v1/webhooks", json={"url": url, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def deliveries(client: TestClient, headers: dict[str, str], hook: int) -> list[Any]:
    """A subscription's deliveries, newest first, once none is pending any more (the
    receiver may have answered before the worker recorded it)."""
    deadline = time.monotonic() + 10
    while True:
        response = client.get(f"/v1/webhooks/{hook}/deliveries", headers=headers)
        assert response.status_code == 200, response.text
        found = list(response.json()["data"])
        if all(d["state"] != "pending" for d in found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _pending(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(func.count()).where(WebhookDelivery.state == DeliveryState.PENDING)
        return int(session.scalar(query) or 0)


def wait_done(sessions: sessionmaker[Session], timeout: float) -> None:
    """Once no delivery is pending any more (each delivered, failed or given up)."""
    deadline = time.monotonic() + timeout
    while _pending(sessions):
        assert time.monotonic() < deadline, f"{_pending(sessions)} deliveries still pending"
        time.sleep(0.05)
