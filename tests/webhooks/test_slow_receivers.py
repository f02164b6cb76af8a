"""Receivers that trickle their answer (a byte every 0.3 s, so no per-read timeout ever
fires): each delivery ends at its deadline, the others go on meanwhile, and with two
workers on one PostgreSQL every message is still sent exactly once."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models import DeliveryState, WebhookDelivery
from tests.conftest import RecordingClient
from tests.webhooks.conftest import deliveries, subscribe, wait_done
from tests.webhooks.receiver import Receiver, trickling

DEADLINE = 1.5
SLOW: dict[str, Any] = {
    "webhooks_timeout_seconds": DEADLINE,
    "webhooks_retry_schedule": [],  # one try each: a second request would be a duplicate
    "webhooks_concurrency": 4,
    "webhooks_concurrency_per_target": 2,
}
TRICKLE = 0.3


def _ping(client: RecordingClient, headers: dict[str, str], hook: dict[str, Any]) -> str:
    queued = client.post(f"/v1/webhooks/{hook['id']}/test", headers=headers)
    assert queued.status_code == 202, queued.text
    return str(queued.json()["message_id"])


def test_a_trickling_receiver_is_cut_at_the_deadline_while_others_are_delivered(
    app_with: Callable[..., RecordingClient], admin_headers: dict[str, str], receiver: Receiver
) -> None:
    client = app_with(**SLOW)
    with trickling(TRICKLE) as slow:
        slow_hook = subscribe(client, admin_headers, f"{slow.base}/slow")
        fast_hook = subscribe(client, admin_headers, receiver.url)
        slow_ids = [_ping(client, admin_headers, slow_hook) for _ in range(3)]
        slow.wait_count(2, timeout=5)
        held_from = time.monotonic()
        fast_ids = [_ping(client, admin_headers, fast_hook) for _ in range(3)]
        fast = receiver.wait_count(3, timeout=DEADLINE)
        assert all(r.at < held_from + DEADLINE for r in fast)  # before the slow ones were cut
        found = deliveries(client, admin_headers, slow_hook["id"])
    assert sorted(r.id for r in fast) == sorted(fast_ids)
    assert [(d["state"], len(d["attempts"])) for d in found] == [("failed", 1)] * 3
    for attempt in (d["attempts"][0] for d in found):
        assert attempt["error"] == "Timed out."
        assert DEADLINE * 1000 <= attempt["duration_ms"] < DEADLINE * 1000 + 1000, attempt
    first, _, third = sorted(at for at, _, _ in slow.seen)
    assert third >= first + DEADLINE * 0.9  # two at once (WEBHOOKS_CONCURRENCY_PER_TARGET)
    slow.assert_each_once(slow_ids)


def test_two_workers_on_postgresql_send_a_slow_message_exactly_once(
    app_with: Callable[..., RecordingClient],
    admin_headers: dict[str, str],
    database_url: str,
    sessions: sessionmaker[Session],
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share deliveries on PostgreSQL; SQLite runs one")
    first, _second = app_with(**SLOW), app_with(**SLOW)
    with trickling(TRICKLE) as slow:
        hook = subscribe(first, admin_headers, f"{slow.base}/slow")
        sent = [_ping(first, admin_headers, hook) for _ in range(3)]
        wait_done(sessions, timeout=3 * DEADLINE + 5)
        found = deliveries(first, admin_headers, hook["id"])
    assert [(d["state"], len(d["attempts"])) for d in found] == [("failed", 1)] * 3
    slow.assert_each_once(sent)


def test_a_hundred_slow_receivers_hold_up_no_other_delivery_and_each_gets_one_request(
    app_with: Callable[..., RecordingClient],
    admin_headers: dict[str, str],
    database_url: str,
    sessions: sessionmaker[Session],
    receiver: Receiver,
) -> None:
    workers = 2 if database_url.startswith("postgresql") else 1  # two processes' worth
    settings = {**SLOW, "webhooks_timeout_seconds": 1.0, "webhooks_concurrency": 128 // workers}
    clients = [app_with(**settings) for _ in range(workers)]
    client = clients[0]
    with trickling(TRICKLE) as slow:
        hooks = [subscribe(client, admin_headers, f"{slow.base}/slow/{n}") for n in range(100)]
        fast_hook = subscribe(client, admin_headers, receiver.url)
        sent = [_ping(client, admin_headers, hook) for hook in hooks]
        slow.wait_count(50, timeout=10)
        held_from = time.monotonic()
        fast_ids = [_ping(client, admin_headers, fast_hook) for _ in range(5)]
        fast = receiver.wait_count(5, timeout=5)
        assert all(r.at < held_from + 1.0 for r in fast)  # while the slow ones are held
        wait_done(sessions, timeout=20)
    assert sorted(r.id for r in fast) == sorted(fast_ids)
    assert len(receiver.received) == 5
    slow.assert_each_once(sent)


def test_the_lease_of_a_send_in_flight_is_renewed_until_it_ends(
    app_with: Callable[..., RecordingClient],
    admin_headers: dict[str, str],
    sessions: sessionmaker[Session],
) -> None:
    deadline = 4.0  # the lease (2 x 4 + 5 s) is renewed every quarter: once at least
    client = app_with(**{**SLOW, "webhooks_timeout_seconds": deadline})
    leases: list[Any] = []
    with trickling(TRICKLE) as slow:
        hook = subscribe(client, admin_headers, f"{slow.base}/slow")
        _ping(client, admin_headers, hook)
        slow.wait_count(1, timeout=5)
        stop_at = time.monotonic() + deadline + 5
        while time.monotonic() < stop_at:
            with sessions() as session:
                row = session.execute(select(WebhookDelivery.state, WebhookDelivery.leased_until))
                state, lease = row.one()
            if state != DeliveryState.PENDING:
                break
            if lease not in leases:
                leases.append(lease)
            time.sleep(0.05)
    assert len(leases) >= 2 and leases == sorted(leases), leases
    [found] = deliveries(client, admin_headers, hook["id"])
    assert found["state"] == "failed" and found["attempts"][0]["error"] == "Timed out."
    assert len(slow.seen) == 1
