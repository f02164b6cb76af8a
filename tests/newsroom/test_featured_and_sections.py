"""`featured` and `?featured=`, tag kinds and `?section=` on the feed."""

from datetime import UTC, datetime, timedelta

from tests.conftest import RecordingClient
from tests.factories import feed_ids, hours_ago, make_article, make_tag


def test_the_featured_filter_keeps_to_public_top_stories(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    top = make_article(client, editor_headers, featured=True, published_at=hours_ago(2))
    plain = make_article(client, editor_headers, published_at=hours_ago(1))
    make_article(client, editor_headers, featured=True, status="draft")
    make_article(
        client, editor_headers, featured=True, published_at=datetime.now(UTC) + timedelta(hours=1)
    )
    assert (top["featured"], plain["featured"]) == (True, False)

    assert feed_ids(client, featured="true") == [top["id"]]
    assert feed_ids(client, featured="false") == [plain["id"]]
    assert feed_ids(client) == [plain["id"], top["id"]]
    items = client.get("/v1/articles").json()["data"]
    assert [item["featured"] for item in items] == [False, True]
    unset = client.patch(
        f"/v1/editor/articles/{top['id']}", json={"featured": False}, headers=editor_headers
    )
    assert unset.json()["featured"] is False
    assert feed_ids(client, featured="true") == []
    null = client.patch(
        f"/v1/editor/articles/{top['id']}", json={"featured": None}, headers=editor_headers
    )
    assert null.status_code == 422
    bad = client.get("/v1/articles", params={"featured": "maybe"})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


def test_tags_are_topics_unless_made_sections(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    created = client.post(
        "/v1/editor/tags",
        json={"slug": "news", "names": {"uk": "Новини"}, "kind": "section"},
        headers=editor_headers,
    )
    assert created.status_code == 201
    assert created.json()["kind"] == "section"
    assert make_tag(client, editor_headers, "war")["kind"] == "topic"
    bad = client.post(
        "/v1/editor/tags", json={"slug": "x", "names": {"en": "X"}, "kind": "category"},
        headers=editor_headers,
    )  # fmt: skip
    assert bad.status_code == 422
    assert [t["kind"] for t in client.get("/v1/tags").json()["data"]] == ["section", "topic"]
    renamed = client.patch(
        "/v1/editor/tags/news", json={"names": {"uk": "Головне"}}, headers=editor_headers
    )
    assert renamed.json()["kind"] == "section"  # unchanged unless sent
    make_article(client, editor_headers, tags=["war", "news"])
    item = client.get("/v1/articles").json()["data"][0]
    assert item["tags"] == [
        {"slug": "war", "name": "war", "kind": "topic"},
        {"slug": "news", "name": "Головне", "kind": "section"},
    ]
    assert item["primary_tag"] == {"slug": "war", "name": "war", "kind": "topic"}


def test_the_section_filter_takes_only_section_tags(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    client.post(
        "/v1/editor/tags",
        json={"slug": "news", "names": {"uk": "Новини"}, "kind": "section"},
        headers=editor_headers,
    )
    make_tag(client, editor_headers, "war")
    in_section = make_article(client, editor_headers, tags=["war", "news"])
    make_article(client, editor_headers, tags=["war"])
    make_article(client, editor_headers, tags=["news"], status="draft")

    assert feed_ids(client, section="news") == [in_section["id"]]
    assert feed_ids(client, section="news", tag="war") == [in_section["id"]]
    topic = client.get("/v1/articles", params={"section": "war"})
    assert topic.status_code == 404
    assert topic.headers["content-type"] == "application/problem+json"
    assert topic.json()["detail"] == "No section has the slug 'war'."
    client.patch("/v1/editor/tags/news", json={"kind": "topic"}, headers=editor_headers)
    assert client.get("/v1/articles", params={"section": "news"}).status_code == 404
