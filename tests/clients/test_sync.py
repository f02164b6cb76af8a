"""GET /v1/sync: a first sync pages through everything public; a token then yields exactly
what changed since, tombstones included, and nothing that was never public."""

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import hours_ago, iso, make_article, walk_feed

Sync = tuple[list[dict[str, Any]], list[dict[str, Any]], str]


def sync_all(client: RecordingClient, token: str | None = None, **params: Any) -> Sync:
    """Follow next_sync_token while has_more: every upsert and removal, and the last token."""
    data: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    while True:
        query = {**params, **({"token": token} if token else {})}
        response = client.get("/v1/sync", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        data += page["data"]
        deleted += page["deleted"]
        token = page["meta"]["next_sync_token"]
        if not page["meta"]["has_more"]:
            assert token is not None
            return data, deleted, token


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def _edit(client: RecordingClient, headers: dict[str, str], article: dict[str, Any]) -> None:
    response = client.patch(
        f"/v1/editor/articles/{article['id']}",
        json={"cover_image_url": "https://img.example/new.jpg"},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def _translate(client: RecordingClient, headers: dict[str, str], article: dict[str, Any]) -> None:
    response = client.put(
        f"/v1/editor/articles/{article['id']}/translations/en",
        json={"title": f"Translated {article['id'][:8]}"},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def _post(client: RecordingClient, headers: dict[str, str], article_id: str, action: str) -> None:
    response = client.post(f"/v1/editor/articles/{article_id}/{action}", headers=headers)
    assert response.status_code == 200, response.text


def _delete(client: RecordingClient, headers: dict[str, str], article_id: str) -> None:
    response = client.delete(f"/v1/editor/articles/{article_id}", headers=headers)
    assert response.status_code == 204, response.text


def test_a_first_sync_pages_through_everything_public_and_nothing_else(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    public = [make_article(client, editor_headers, published_at=hours_ago(h)) for h in range(5)]
    make_article(client, editor_headers, status="draft")
    make_article(client, editor_headers, published_at=datetime.now(UTC) + timedelta(days=1))
    make_article(client, editor_headers, status="archived", published_at=hours_ago(1))
    gone = make_article(client, editor_headers)
    _delete(client, editor_headers, gone["id"])  # deleted before the client ever synced

    pages = 0
    token = None
    seen: list[str] = []
    while True:
        page = client.get("/v1/sync", params={"limit": 2, **({"token": token} if token else {})})
        body = page.json()
        assert body["deleted"] == []
        seen += _ids(body["data"])
        pages += 1
        token = body["meta"]["next_sync_token"]
        if not body["meta"]["has_more"]:
            break
    assert pages == 3
    assert seen == [a["id"] for a in public]  # log order: oldest change first
    assert set(body["data"][0]) == {
        "id", "lang", "slug", "title", "excerpt", "published_at", "updated_at",
        "primary_tag", "tags", "sources", "translations", "cover_image", "visibility",
        "authors", "featured",
    }  # fmt: skip
    assert sync_all(client, token) == ([], [], sync_all(client, token)[2])


def test_after_10_edits_3_unpublishes_and_2_deletes_the_next_sync_returns_exactly_those(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Acceptance 2."""
    articles = [make_article(client, editor_headers, title=f"Допис {n}") for n in range(20)]
    first, removed, token = sync_all(client)
    assert (sorted(_ids(first)), removed) == (sorted(a["id"] for a in articles), [])

    edited, unpublished, deleted = articles[:10], articles[10:13], articles[13:15]
    for n, article in enumerate(edited):
        (_translate if n % 2 else _edit)(client, editor_headers, article)
    for article in unpublished:
        _post(client, editor_headers, article["id"], "unpublish")
    for article in deleted:
        _delete(client, editor_headers, article["id"])
    # Never public, so never the client's business: no trace of these.
    draft = make_article(client, editor_headers, status="draft")
    _delete(client, editor_headers, make_article(client, editor_headers, status="draft")["id"])
    soon = make_article(client, editor_headers, published_at=datetime.now(UTC) + timedelta(days=1))
    _post(client, editor_headers, soon["id"], "unpublish")
    _edit(client, editor_headers, draft)

    data, removed, token = sync_all(client, token)

    assert _ids(data) == [a["id"] for a in edited]
    assert [(r["id"], r["reason"]) for r in removed] == [
        *((a["id"], "unpublished") for a in unpublished),
        *((a["id"], "deleted") for a in deleted),
    ]
    translated = [item for n, item in enumerate(data) if n % 2]
    assert [[t["lang"] for t in item["translations"]] for item in translated] == [["en", "uk"]] * 5
    assert {item["cover_image"]["url"] for n, item in enumerate(data) if n % 2 == 0} == {
        "https://img.example/new.jpg"
    }
    assert sync_all(client, token)[:2] == ([], [])


def test_removal_reasons_and_coming_back(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    archived, rescheduled, back = (make_article(client, editor_headers) for _ in range(3))
    _, _, token = sync_all(client)
    patch = client.patch(
        f"/v1/editor/articles/{archived['id']}", json={"status": "archived"}, headers=editor_headers
    )
    assert patch.status_code == 200
    future = iso(datetime.now(UTC) + timedelta(days=2))
    schedule = client.post(
        f"/v1/editor/articles/{rescheduled['id']}/schedule",
        json={"published_at": future},
        headers=editor_headers,
    )
    assert schedule.status_code == 200
    _post(client, editor_headers, back["id"], "unpublish")
    _post(client, editor_headers, back["id"], "publish")  # public again: no tombstone left

    data, removed, _ = sync_all(client, token)

    assert _ids(data) == [back["id"]]
    assert [(r["id"], r["reason"]) for r in removed] == [
        (archived["id"], "archived"),
        (rescheduled["id"], "scheduled"),
    ]
    assert set(removed[0]) == {"id", "reason", "removed_at"}
    # Deleting what was already removed repeats the removal as a deletion.
    _, _, token = sync_all(client, token)
    _delete(client, editor_headers, archived["id"])
    assert sync_all(client, token)[1][0]["reason"] == "deleted"


def test_a_scheduled_article_that_went_live_counts_as_a_change(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_article(client, editor_headers)
    go_live = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = make_article(client, editor_headers, published_at=go_live)
    data, _, token = sync_all(client)
    assert scheduled["id"] not in _ids(data)

    time.sleep(max(0.0, (go_live - datetime.now(UTC)).total_seconds()) + 0.05)

    data, removed, token = sync_all(client, token)
    assert (_ids(data), removed) == ([scheduled["id"]], [])
    assert sync_all(client, token)[:2] == ([], [])


def test_tokens_survive_a_restart_and_bad_ones_are_400(
    client: RecordingClient, editor_headers: dict[str, str], settings: Settings
) -> None:
    make_article(client, editor_headers)
    _, _, token = sync_all(client)
    changed = make_article(client, editor_headers)
    with RecordingClient(create_app(settings)) as restarted:
        assert _ids(sync_all(restarted, token)[0]) == [changed["id"]]
    cursor = client.get("/v1/articles", params={"limit": 1}).json()["meta"]["newest_cursor"]
    for bad in ("garbage", token[:-4], cursor, "eyJzIjoiMCIsInAiOltdfQ"):
        response = client.get("/v1/sync", params={"token": bad})
        assert response.status_code == 400, bad
        assert response.json()["detail"] in (
            "The sync token is malformed; sync again without one.",
            "The cursor is malformed or belongs to another listing; start again without one.",
        )


def test_sync_items_take_fields_and_bodies(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, body="<p>Повний текст.</p>")
    sparse = client.get("/v1/sync", params={"fields": "id,updated_at", "include": "body"})
    assert sparse.json()["data"] == [
        {
            "id": article["id"],
            "updated_at": sparse.json()["data"][0]["updated_at"],
            "body": "<p>Повний текст.</p>",
        }
    ]
    assert client.get("/v1/sync", params={"fields": "nope"}).status_code == 400
    en = client.get("/v1/sync", headers={"Accept-Language": "en"})
    assert en.headers["content-language"] == "en"


def test_a_client_that_syncs_during_writes_converges_to_the_public_set(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Writers and a syncing client at once, on real threads: after a last sync the
    client's copy equals what the feed shows, item for item."""
    rng = random.Random(4)
    pool = [make_article(client, editor_headers, title=f"Старт {n}")["id"] for n in range(8)]
    replica: dict[str, dict[str, Any]] = {}
    done = threading.Event()
    errors: list[str] = []
    last_go_live = datetime.now(UTC)

    def write() -> None:
        nonlocal last_go_live
        try:
            for step in range(60):
                action = rng.choice(["create", "edit", "edit", "unpublish", "publish", "delete"])
                if action == "create" or not pool:
                    when = datetime.now(UTC) + timedelta(seconds=rng.choice([-60, 0, 0.4]))
                    last_go_live = max(last_go_live, when)
                    pool.append(
                        make_article(
                            client, editor_headers, title=f"Крок {step}", published_at=when
                        )["id"]
                    )
                    continue
                target = rng.choice(pool)
                if action == "edit":
                    _edit(client, editor_headers, {"id": target})
                elif action == "delete":
                    pool.remove(target)
                    _delete(client, editor_headers, target)
                else:
                    _post(client, editor_headers, target, action)
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(str(exc))
        finally:
            done.set()

    def apply(sync: Sync) -> str:
        data, removed, token = sync
        for item in data:
            replica[item["id"]] = item
        for removal in removed:
            replica.pop(removal["id"], None)
        return token

    writer = threading.Thread(target=write)
    writer.start()
    token = apply(sync_all(client, limit=3))
    while not done.is_set():
        token = apply(sync_all(client, token, limit=3))
    writer.join()
    assert errors == []
    time.sleep(max(0.0, (last_go_live - datetime.now(UTC)).total_seconds()) + 0.05)
    apply(sync_all(client, token, limit=3))

    feed = walk_feed(client, limit=100)
    assert sorted(replica) == sorted(feed)
    full = {
        item["id"]: item
        for item in client.get("/v1/articles", params={"limit": 100}).json()["data"]
    }
    assert replica == full
