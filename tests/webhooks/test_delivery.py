"""Retries, backoff, order per article, failing subscriptions, redelivery, pings, and who
may manage webhooks."""

import itertools
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from app.core.config import Settings
from app.models import WebhookAttempt, WebhookDelivery, WebhookEvent, utcnow
from app.webhooks.worker import DeliveryWorker
from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.webhooks.conftest import FAST, deliveries, subscribe
from tests.webhooks.receiver import Receiver


def test_three_failures_then_success_is_one_event_in_four_attempts_with_backoff(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    receiver.statuses = [500, 500, 500]
    hook = subscribe(hooked, admin_headers, receiver.url)
    article = make_article(hooked, editor_headers)
    [ok] = receiver.wait_count(1, timeout=20)
    tries = receiver.received
    assert [r.status for r in tries] == [500, 500, 500, 200]
    assert {r.id for r in tries} == {ok.id}  # one message, the same webhook-id each time
    assert {r.body for r in tries} == {ok.body}
    assert ok.verified(hook["secret"])["data"]["id"] == article["id"]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    low = 1 - FAST["webhooks_retry_jitter"]
    for gap, delay in zip(gaps, FAST["webhooks_retry_schedule"], strict=True):
        assert gap >= delay * low, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps  # exponential

    [delivery] = deliveries(hooked, admin_headers, hook["id"])
    assert delivery["state"] == "delivered"
    assert delivery["message_id"] == ok.id
    assert delivery["next_attempt_at"] is None
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500, 200]
    assert [a["error"] for a in delivery["attempts"]] == ["The receiver answered 500."] * 3 + [None]
    assert (
        hooked.get(f"/v1/webhooks/{hook['id']}", headers=admin_headers).json()["status"] == "active"
    )


def test_a_later_event_for_an_article_waits_for_the_earlier_one(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    receiver.statuses = [500, 500]
    hook = subscribe(hooked, admin_headers, receiver.url)
    article = make_article(hooked, editor_headers)
    path = f"/v1/editor/articles/{article['id']}"
    assert hooked.patch(path, json={"tags": []}, headers=editor_headers).status_code == 200
    receiver.wait_count(2, timeout=20)
    types = [r.verified(hook["secret"])["type"] for r in receiver.received]
    assert types == ["article.published"] * 3 + ["article.updated"]


def test_a_delivery_out_of_tries_marks_the_subscription_failing_until_one_succeeds(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    receiver.statuses = [503] * 4
    hook = subscribe(hooked, admin_headers, receiver.url)
    first = make_article(hooked, editor_headers)
    url = f"/v1/webhooks/{hook['id']}"
    receiver.wait_for(lambda r: len(r.received) == 4)
    receiver.wait_for(
        lambda r: hooked.get(url, headers=admin_headers).json()["status"] == "failing"
    )
    [failed] = deliveries(hooked, admin_headers, hook["id"])
    assert (failed["state"], len(failed["attempts"]), failed["next_attempt_at"]) == (
        "failed", 4, None
    )  # fmt: skip
    assert hooked.get(url, headers=admin_headers).json()["failing_since"] is not None

    # Not dropped: the next event is sent, and its success makes the subscription active.
    second = make_article(hooked, editor_headers)
    [ok] = receiver.wait_count(1)
    assert ok.verified(hook["secret"])["data"]["id"] == second["id"]
    receiver.wait_for(lambda r: hooked.get(url, headers=admin_headers).json()["status"] == "active")

    # Redelivered by hand: the same message again, at once.
    redo = hooked.post(f"{url}/deliveries/{failed['id']}/redeliver", headers=admin_headers)
    assert redo.status_code == 202, redo.text
    assert redo.json()["state"] == "pending"
    accepted = receiver.wait_count(2)
    assert accepted[1].id == failed["message_id"]
    assert accepted[1].verified(hook["secret"])["data"]["id"] == first["id"]
    assert accepted[1].body == receiver.received[0].body
    unknown = hooked.post(f"{url}/deliveries/999999/redeliver", headers=admin_headers)
    assert unknown.status_code == 404


def test_redelivery_never_sends_an_article_that_is_no_longer_public(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    article = make_article(hooked, editor_headers)
    receiver.wait_count(1)
    [delivery] = deliveries(hooked, admin_headers, hook["id"])
    unpublish = hooked.post(
        f"/v1/editor/articles/{article['id']}/unpublish", headers=editor_headers
    )
    assert unpublish.status_code == 200
    receiver.wait_count(2)
    redo = hooked.post(
        f"/v1/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver", headers=admin_headers
    )
    assert redo.status_code == 409, redo.text
    assert redo.headers["content-type"] == "application/problem+json"


def test_a_ping_is_signed_and_listed(
    hooked: RecordingClient, admin_headers: dict[str, str], receiver: Receiver
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    queued = hooked.post(f"/v1/webhooks/{hook['id']}/test", headers=admin_headers)
    assert queued.status_code == 202, queued.text
    [ping] = receiver.wait_count(1)
    payload = ping.verified(hook["secret"])
    assert payload["type"] == "webhook.ping"
    assert payload["data"] == {"webhook_id": hook["id"]}
    assert ping.headers["user-agent"] == "Dopys-Webhooks/1.0"
    assert ping.id == queued.json()["message_id"]


def test_only_admin_keys_manage_webhooks_and_targets_are_checked(
    client: TestClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    reader_headers: dict[str, str],
) -> None:
    body = {"url": "https://example.com/hook"}
    for headers in ({}, reader_headers, editor_headers):
        refused = client.post("/v1/webhooks", json=body, headers=headers)
        assert refused.status_code == (401 if not headers else 403), refused.text
    # An admin key may also write articles (admin includes write).
    make_article(client, admin_headers)

    for url, message in (
        ("http://127.0.0.1:8080/hook", "resolves to 127.0.0.1, a loopback, private or reserved"),
        ("http://10.1.2.3/hook", "resolves to 10.1.2.3"),
        ("http://169.254.169.254/latest", "resolves to 169.254.169.254"),
        ("http://[::1]/hook", "resolves to ::1"),
        ("http://localhost/hook", "a loopback, private or reserved address"),
        ("https://user:pw@example.com/", "Credentials in the URL are not allowed"),
    ):
        refused = client.post("/v1/webhooks", json={"url": url}, headers=admin_headers)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["errors"][0]["field"] == "url"
        assert message in refused.json()["errors"][0]["message"], refused.text
    for bad in ({"url": "ftp://example.com/"}, {**body, "events": ["article.liked"]}):
        assert client.post("/v1/webhooks", json=bad, headers=admin_headers).status_code == 422


@pytest.mark.parametrize("path", ["/v1/webhooks/7", "/v1/webhooks/7/deliveries"])
def test_unknown_webhooks_are_404(
    client: TestClient, admin_headers: dict[str, str], path: str
) -> None:
    response = client.get(path, headers=admin_headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_list_and_remove(client: TestClient, admin_headers: dict[str, str]) -> None:
    made = [
        client.post(
            "/v1/webhooks", json={"url": f"https://1.1.1.1/hook-{n}"}, headers=admin_headers
        ).json()
        for n in range(3)
    ]
    page = client.get("/v1/webhooks", params={"limit": 2}, headers=admin_headers).json()
    assert [h["id"] for h in page["data"]] == [made[0]["id"], made[1]["id"]]
    assert "secret" not in page["data"][0]
    rest = client.get(
        "/v1/webhooks", params={"cursor": page["meta"]["next_cursor"]}, headers=admin_headers
    ).json()
    assert [h["id"] for h in rest["data"]] == [made[2]["id"]]
    assert rest["meta"]["next_cursor"] is None
    assert made[0]["events"] == [
        f"{kind}.{action}"
        for kind in ("article", "page")
        for action in ("published", "updated", "unpublished", "deleted")
    ]
    assert client.delete(f"/v1/webhooks/{made[1]['id']}", headers=admin_headers).status_code == 204
    assert client.get(f"/v1/webhooks/{made[1]['id']}", headers=admin_headers).status_code == 404


def test_finished_deliveries_are_forgotten_after_the_retention(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
    db: Engine,
    database_url: str,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    make_article(hooked, editor_headers)
    receiver.wait_count(1)
    assert len(deliveries(hooked, admin_headers, hook["id"])) == 1
    worker = DeliveryWorker(db, Settings(database_url=database_url, webhooks_retention_days=1))
    worker.prune()  # nothing is a day old
    assert len(deliveries(hooked, admin_headers, hook["id"])) == 1
    with db.begin() as conn:
        conn.execute(update(WebhookDelivery).values(finished_at=utcnow() - timedelta(days=2)))
        conn.execute(update(WebhookEvent).values(dispatched_at=utcnow() - timedelta(days=2)))
    worker.prune()
    worker.close()
    assert deliveries(hooked, admin_headers, hook["id"]) == []
    with db.connect() as conn:
        for model in (WebhookEvent, WebhookAttempt):
            assert conn.scalar(select(func.count()).select_from(model)) == 0


def test_redirects_are_not_followed(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    receiver.statuses = [302]
    hook = subscribe(hooked, admin_headers, receiver.url)
    make_article(hooked, editor_headers)
    receiver.wait_count(1)
    [delivery] = deliveries(hooked, admin_headers, hook["id"])
    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (302, "Redirects are not followed."),
        (200, None),
    ]
