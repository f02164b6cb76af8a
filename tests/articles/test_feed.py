"""The fresh-posts feed: order, keyset pagination, filters, visibility."""

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import RecordingClient
from tests.factories import (
    feed_ids,
    hours_ago,
    make_article,
    make_source,
    make_tag,
    seed_published,
    walk_feed,
)


def test_feed_is_newest_first_with_the_documented_item_shape(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_source(client, editor_headers, "isw", "think_tank", en="ISW", uk="ІВВ")
    older = make_article(client, editor_headers, published_at=hours_ago(3), tags=["news"])
    newer = make_article(
        client,
        editor_headers,
        lang="en",
        title="Czech Republic is ready to search for ammunition",
        published_at=hours_ago(1),
        tags=["news"],
        citations=[{"source": "isw", "url": "https://example.org/report"}],
    )

    response = client.get("/v1/articles")

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body["data"]] == [newer["id"], older["id"]]
    newest = body["meta"].pop("newest_cursor")
    assert body["meta"] == {"next_cursor": None, "limit": 20}
    assert feed_ids(client, newer_than=newest) == []  # pull-to-refresh: nothing newer yet
    item = body["data"][0]
    assert set(item) == {
        "id", "lang", "slug", "title", "excerpt", "published_at", "updated_at",
        "primary_tag", "tags", "sources", "translations", "cover_image", "visibility",
        "authors", "featured",
    }  # fmt: skip
    assert item["lang"] == "en"
    assert item["slug"] == "czech-republic-is-ready-to-search-for-ammunition"
    # An English item, named in English for a Ukrainian reader too (issue 20).
    assert item["primary_tag"] == {"slug": "news", "name": "News", "kind": "topic"}
    assert item["sources"] == [{"slug": "isw", "name": "ISW"}]
    assert item["translations"] == [
        {
            "lang": "en",
            "slug": "czech-republic-is-ready-to-search-for-ammunition",
            "url": "https://example.com/en/czech-republic-is-ready-to-search-for-ammunition",
        }
    ]


def test_paging_while_articles_are_published_yields_each_original_once_in_order(
    client: RecordingClient, sessions: sessionmaker[Session], editor_headers: dict[str, str]
) -> None:
    base = datetime(2024, 7, 1, tzinfo=UTC)
    # Groups of five share a timestamp so the id tie-break is exercised too.
    moments = [base - timedelta(minutes=i // 5) for i in range(1000)]
    seed_published(sessions, moments)
    expected = walk_feed(client, limit=100)
    assert len(expected) == 1000

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v1/articles", params=params).json()
        seen += [item["id"] for item in body["data"]]
        pages += 1
        if pages == 70:  # mid-way, 50 newer articles go live
            seed_published(sessions, [hours_ago(0.01 * i) for i in range(50)], lang="en")
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            break

    assert seen[: 70 * 7] == expected[: 70 * 7]
    assert seen == expected
    assert len(set(seen)) == 1000


def test_next_link_header_follows_rfc_8288(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    for hours in (1, 2, 3):
        make_article(client, editor_headers, published_at=hours_ago(hours))
    first = client.get("/v1/articles", params={"limit": 2})
    cursor = first.json()["meta"]["next_cursor"]
    assert (
        first.headers["link"]
        == f'<http://testserver/v1/articles?limit=2&cursor={cursor}>; rel="next"'
    )
    last = client.get("/v1/articles", params={"limit": 2, "cursor": cursor})
    assert len(last.json()["data"]) == 1
    assert "link" not in last.headers


def test_drafts_archived_and_scheduled_never_appear(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news")
    make_source(client, editor_headers, "isw")
    common = {"tags": ["news"], "citations": [{"source": "isw"}]}
    public = make_article(client, editor_headers, title="Публічна", **common)
    hidden = [
        make_article(client, editor_headers, title="Чернетка", status="draft", **common),
        make_article(
            client,
            editor_headers,
            title="Архів",
            status="archived",
            published_at=hours_ago(5),
            **common,
        ),
        make_article(
            client,
            editor_headers,
            title="Заплановано",
            published_at=datetime.now(UTC) + timedelta(days=1),
            **common,
        ),
    ]

    for params in (
        {},
        {"tag": "news"},
        {"source": "isw"},
        {"lang": "uk", "only_translated": "true"},
    ):
        assert feed_ids(client, **params) == [public["id"]]
    for article in hidden:
        slug = article["translations"][0]["slug"]
        response = client.get(f"/v1/articles/{slug}")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_a_scheduled_article_goes_public_when_its_time_comes(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    # A margin wide enough that a loaded machine still checks before the go-live time.
    go_live = datetime.now(UTC) + timedelta(seconds=4)
    article = make_article(client, editor_headers, title="Скоро", published_at=go_live)
    slug = article["translations"][0]["slug"]
    assert article["state"] == "scheduled"
    assert feed_ids(client) == []
    assert client.get(f"/v1/articles/{slug}").status_code == 404

    time.sleep(max(0.0, (go_live - datetime.now(UTC)).total_seconds()) + 0.1)

    assert feed_ids(client) == [article["id"]]
    assert client.get(f"/v1/articles/{slug}").status_code == 200


def test_feed_filters_by_tag_and_source(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news")
    make_tag(client, editor_headers, "sport")
    make_source(client, editor_headers, "isw")
    news = make_article(client, editor_headers, tags=["news"], published_at=hours_ago(2))
    both = make_article(client, editor_headers, tags=["sport", "news"], published_at=hours_ago(1))
    cited = make_article(
        client, editor_headers, citations=[{"source": "isw"}], published_at=hours_ago(3)
    )

    assert feed_ids(client, tag="news") == [both["id"], news["id"]]
    assert feed_ids(client, tag="sport") == [both["id"]]
    assert feed_ids(client, source="isw") == [cited["id"]]
    missing = client.get("/v1/articles", params={"tag": "no-such-tag"})
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No tag has the slug 'no-such-tag'."


def test_limits_are_capped_and_bad_cursors_are_400(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "a")
    make_tag(client, editor_headers, "b")
    for limit, status in ((0, 422), (101, 422), (-1, 422), (100, 200), ("x", 422)):
        assert client.get("/v1/articles", params={"limit": limit}).status_code == status
    tag_cursor = client.get("/v1/tags", params={"limit": 1}).json()["meta"]["next_cursor"]
    for cursor in ("garbage", "eyJ9", tag_cursor, tag_cursor[:-3]):
        response = client.get("/v1/articles", params={"cursor": cursor})
        assert response.status_code == 400, cursor
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["title"] == "Bad request"
