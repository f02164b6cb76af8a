"""Webhook objects and the messages sent write timestamps as every response does: UTC,
whole seconds, `Z` (app.core.schemas.moment_text)."""

import re
from typing import Any

from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.webhooks.conftest import deliveries, subscribe
from tests.webhooks.receiver import Receiver

DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT")
WHOLE_SECONDS_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def timestamps(value: Any) -> list[str]:
    """Every date-time string in a JSON value."""
    if isinstance(value, dict):
        return [t for v in value.values() for t in timestamps(v)]
    if isinstance(value, list):
        return [t for v in value for t in timestamps(v)]
    return [value] if isinstance(value, str) and DATE_TIME.match(value) else []


def assert_whole_seconds_z(value: Any, at_least: int) -> None:
    found = timestamps(value)
    assert len(found) >= at_least, value
    assert [t for t in found if not WHOLE_SECONDS_Z.fullmatch(t)] == []


def test_webhook_objects_and_messages_say_whole_seconds_in_utc_with_z(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    assert_whole_seconds_z(hook, 1)  # created_at
    article = make_article(hooked, editor_headers, title="Перша")
    receiver.wait_count(1)  # sent before the unpublish, which would make it `skipped`
    path = f"/v1/editor/articles/{article['id']}"
    assert hooked.post(f"{path}/unpublish", headers=editor_headers).status_code == 200
    receiver.wait_count(2)
    queued = hooked.post(f"/v1/webhooks/{hook['id']}/test", headers=admin_headers)
    assert queued.status_code == 202, queued.text
    assert_whole_seconds_z(queued.json(), 2)  # created_at, next_attempt_at

    messages = [r.verified(hook["secret"]) for r in receiver.wait_count(3)]
    assert [m["type"] for m in messages] == [
        "article.published", "article.unpublished", "webhook.ping"
    ]  # fmt: skip
    # timestamp; the article's published_at and updated_at; removed_at
    assert_whole_seconds_z(messages, 6)
    assert messages[1]["data"]["removed_at"] == messages[1]["timestamp"]

    sent = deliveries(hooked, admin_headers, hook["id"])
    assert [d["state"] for d in sent] == ["delivered"] * 3
    assert_whole_seconds_z(sent, 9)  # created_at, finished_at, attempted_at of each
    for path in (f"/v1/webhooks/{hook['id']}", "/v1/webhooks"):
        response = hooked.get(path, headers=admin_headers)
        assert response.status_code == 200, response.text
        assert_whole_seconds_z(response.json(), 1)
