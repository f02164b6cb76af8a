"""Pull-to-refresh: `newer_than=<meta.newest_cursor>` returns only what was published since."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_tag, seed_published


def _page(client: RecordingClient, **params: object) -> tuple[list[str], dict[str, object]]:
    response = client.get("/v1/articles", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    return [item["id"] for item in body["data"]], body["meta"]


def test_refresh_returns_only_newer_items_newest_first(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    old = [make_article(client, editor_headers, published_at=hours_ago(h))["id"] for h in (3, 2)]
    ids, meta = _page(client)
    assert ids == [old[1], old[0]]
    newest = meta["newest_cursor"]

    assert _page(client, newer_than=newest) == (
        [],
        {"next_cursor": None, "limit": 20, "newest_cursor": newest},
    )

    fresh = [
        make_article(client, editor_headers, published_at=hours_ago(h))["id"] for h in (1.5, 0.5, 1)
    ]
    backdated = make_article(client, editor_headers, published_at=hours_ago(5))["id"]
    ids, meta = _page(client, newer_than=newest)
    assert ids == [fresh[1], fresh[2], fresh[0]]
    assert backdated not in ids  # older than what the client has: sync reports such changes
    assert meta["next_cursor"] is None
    # The next refresh starts from the newest item of this one.
    assert _page(client, newer_than=meta["newest_cursor"])[0] == []
    assert _page(client)[1]["newest_cursor"] == meta["newest_cursor"]


def test_a_long_gap_pages_down_to_what_the_client_has(
    client: RecordingClient, sessions: sessionmaker[Session]
) -> None:
    base = datetime(2024, 7, 1, tzinfo=UTC)
    seed_published(sessions, [base - timedelta(minutes=i) for i in range(5)])
    _, meta = _page(client)
    newest = meta["newest_cursor"]
    fresh = seed_published(
        sessions, [base + timedelta(minutes=1 + i // 2) for i in range(7)], lang="en"
    )

    seen: list[str] = []
    ids, meta = _page(client, newer_than=newest, limit=3)
    seen += ids
    refreshed_newest = meta["newest_cursor"]
    while meta["next_cursor"]:
        ids, meta = _page(client, newer_than=newest, limit=3, cursor=meta["next_cursor"])
        assert meta["newest_cursor"] is None  # only a first page names the newest item
        seen += ids
    assert sorted(seen) == sorted(fresh)
    assert len(seen) == 7
    assert _page(client, newer_than=refreshed_newest)[0] == []


def test_refresh_cursors_belong_to_their_listing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news")
    make_article(client, editor_headers, tags=["news"])
    tagged = _page(client, tag="news")[1]["newest_cursor"]
    for bad in (tagged, "garbage", "eyJzIjoiMCJ9"):
        response = client.get("/v1/articles", params={"newer_than": bad})
        assert response.status_code == 400, bad
        assert response.headers["content-type"] == "application/problem+json"
    assert _page(client, tag="news", newer_than=tagged)[0] == []


def test_an_empty_feed_has_no_newest_cursor(client: RecordingClient) -> None:
    assert _page(client) == ([], {"next_cursor": None, "limit": 20, "newest_cursor": None})
