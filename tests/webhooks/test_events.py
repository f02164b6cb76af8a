"""Webhook events on a real receiver, verified with standardwebhooks: one per change of
public state, with sync's meaning, in order per article."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import RecordingClient
from tests.factories import make_article, make_tag
from tests.imports.helpers import article_line, ndjson, post_import
from tests.webhooks.conftest import deliveries, subscribe
from tests.webhooks.receiver import Receiver

URL = "https://example.com/{lang}/{slug}"


def _payloads(receiver: Receiver, secret: str, count: int) -> list[dict[str, Any]]:
    return [r.verified(secret) for r in receiver.wait_count(count)]


def _deliveries(client: RecordingClient, headers: dict[str, str], hook: int) -> list[Any]:
    response = client.get(f"/v1/webhooks/{hook}/deliveries", headers=headers)
    assert response.headers["cache-control"] == "private, no-store"
    return deliveries(client, headers, hook)


def test_publish_edit_unpublish_delete_each_send_one_signed_event(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    article = make_article(hooked, editor_headers, title="Перша")
    article_id, uk_slug = article["id"], article["translations"][0]["slug"]
    uk_url = URL.format(lang="uk", slug=uk_slug)

    [published] = _payloads(receiver, secret, 1)
    assert published["type"] == "article.published"
    data = published["data"]
    assert list(data) == ["id", "data_version", "article", "urls"]
    assert (data["id"], data["data_version"], data["urls"]) == (article_id, 1, {"uk": uk_url})
    assert list(data["article"]) == ["uk"]
    item = data["article"]["uk"]
    assert (item["id"], item["lang"], item["title"], item["slug"]) == (
        article_id, "uk", "Перша", uk_slug
    )  # fmt: skip
    assert "body" not in item
    public = hooked.get("/v1/articles", params={"lang": "uk"}).json()["data"][0]
    assert item == {k: v for k, v in public.items() if k != "body"}  # the public list item

    path = f"/v1/editor/articles/{article_id}"
    put = hooked.put(f"{path}/translations/en", json={"title": "First"}, headers=editor_headers)
    assert put.status_code == 201, put.text
    updated = _payloads(receiver, secret, 2)[1]
    assert updated["type"] == "article.updated"
    assert updated["data"]["data_version"] == 2
    assert list(updated["data"]["article"]) == ["en", "uk"]
    assert updated["data"]["article"]["en"]["title"] == "First"
    en_url = URL.format(lang="en", slug="first")
    assert updated["data"]["urls"] == {"en": en_url, "uk": uk_url}

    assert hooked.post(f"{path}/unpublish", headers=editor_headers).status_code == 200
    unpublished = _payloads(receiver, secret, 3)[2]
    assert unpublished["type"] == "article.unpublished"
    removed_at = unpublished["data"].pop("removed_at")
    assert unpublished["data"] == {
        "id": article_id,
        "data_version": 3,
        "reason": "unpublished",
        "urls": {"en": en_url, "uk": uk_url},
    }
    assert unpublished["timestamp"] == removed_at

    assert hooked.delete(path, headers=editor_headers).status_code == 204
    deleted = _payloads(receiver, secret, 4)[3]
    assert deleted["type"] == "article.deleted"
    deleted["data"].pop("removed_at")
    # No URLs: it was not public when deleted (a draft's slugs never leave).
    assert deleted["data"] == {"id": article_id, "data_version": 4, "reason": "deleted", "urls": {}}

    received = receiver.accepted()
    assert len({r.id for r in received}) == 4
    assert len(receiver.received) == 4  # nothing retried, nothing twice
    listed = _deliveries(hooked, admin_headers, hook["id"])
    assert [(d["event_type"], d["state"], len(d["attempts"])) for d in listed] == [
        ("article.deleted", "delivered", 1),
        ("article.unpublished", "delivered", 1),
        ("article.updated", "delivered", 1),
        ("article.published", "delivered", 1),
    ]
    assert [d["message_id"] for d in reversed(listed)] == [r.id for r in received]
    assert listed[0]["attempts"][0]["status_code"] == 200
    assert listed[0]["attempts"][0]["error"] is None


def test_a_scheduled_article_fires_once_when_it_goes_live(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    go_live = datetime.now(UTC) + timedelta(seconds=2)
    article = make_article(hooked, editor_headers, published_at=go_live, title="Завтра")
    assert article["state"] == "scheduled"
    # Saved again before its time (still scheduled): still one go-live.
    again = hooked.patch(
        f"/v1/editor/articles/{article['id']}", json={"tags": []}, headers=editor_headers
    )
    assert again.status_code == 200, again.text
    assert receiver.received == []

    [live] = receiver.wait_count(1, timeout=15)
    arrived = datetime.now(UTC)
    assert go_live <= arrived < go_live + timedelta(seconds=5)
    payload = live.verified(hook["secret"])
    assert payload["type"] == "article.published"
    assert payload["data"]["id"] == article["id"]
    assert payload["data"]["article"]["uk"]["title"] == "Завтра"
    # the go-live time, in whole seconds as every timestamp the API writes
    assert datetime.fromisoformat(payload["timestamp"]) == go_live.replace(microsecond=0)

    sentinel = make_article(hooked, editor_headers, title="Сторож")
    payloads = _payloads(receiver, hook["secret"], 2)
    assert [(p["type"], p["data"]["id"]) for p in payloads] == [
        ("article.published", article["id"]),
        ("article.published", sentinel["id"]),
    ]


def test_a_draft_that_never_went_public_sends_nothing(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    draft = make_article(hooked, editor_headers, status="draft", title="Чернетка")
    path = f"/v1/editor/articles/{draft['id']}"
    assert hooked.patch(path, json={"tags": []}, headers=editor_headers).status_code == 200
    put = hooked.put(f"{path}/translations/en", json={"title": "Draft"}, headers=editor_headers)
    assert put.status_code == 201
    assert hooked.delete(path, headers=editor_headers).status_code == 204

    sentinel = make_article(hooked, editor_headers, title="Сторож")
    [only] = _payloads(receiver, hook["secret"], 1)
    assert (only["type"], only["data"]["id"]) == ("article.published", sentinel["id"])
    assert len(receiver.received) == 1


def test_filters_pick_articles_by_language_and_tag(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    make_tag(hooked, editor_headers, "news")
    make_tag(hooked, editor_headers, "sport")
    hook = subscribe(
        hooked,
        admin_headers,
        receiver.url,
        events=["article.published"],
        filters={"languages": ["en"], "sections": ["news"]},
    )
    assert hook["events"] == ["article.published"]
    both = [
        {"lang": "uk", "title": "Новина", "body": ""},
        {"lang": "en", "title": "News", "body": ""},
    ]
    make_article(hooked, editor_headers, title="Лише українською", tags=["news"])
    make_article(hooked, editor_headers, translations=both, tags=["sport", "news"])
    wanted = make_article(
        hooked, editor_headers, translations=[{**t, "title": t["title"] + "!"} for t in both],
        tags=["news"],
    )  # fmt: skip
    [only] = _payloads(receiver, hook["secret"], 1)
    assert (only["type"], only["data"]["id"]) == ("article.published", wanted["id"])
    # Not subscribed to updates:
    path = f"/v1/editor/articles/{wanted['id']}"
    assert hooked.patch(path, json={"tags": ["news"]}, headers=editor_headers).status_code == 200
    again = [{**t, "title": t["title"] + "?"} for t in both]
    last = make_article(hooked, editor_headers, translations=again, tags=["news"])
    assert [p["data"]["id"] for p in _payloads(receiver, hook["secret"], 2)] == [
        wanted["id"],
        last["id"],
    ]


def test_imports_send_the_same_events_as_editor_writes(
    hooked: RecordingClient,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    hook = subscribe(hooked, admin_headers, receiver.url)
    lines = [article_line(1), article_line(2), article_line(3, status="draft", published_at=None)]
    post_import(hooked, editor_headers, ndjson(lines))
    first = _payloads(receiver, hook["secret"], 2)
    assert [p["type"] for p in first] == ["article.published"] * 2
    assert sorted(p["data"]["article"]["en"]["title"] for p in first) == [
        "News number 1",
        "News number 2",
    ]
    post_import(hooked, editor_headers, ndjson(lines))  # unchanged: no event
    changed = [article_line(1, status="archived"), article_line(2, tags=[])]
    post_import(hooked, editor_headers, ndjson(changed))
    after = _payloads(receiver, hook["secret"], 4)[2:]
    assert sorted((p["type"], p["data"].get("reason")) for p in after) == [
        ("article.unpublished", "archived"),
        ("article.updated", None),
    ]
    assert len(receiver.received) == 4
