"""GET /v1/articles/{slug}/related: public articles sharing tags and sources, best first."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.articles import repository
from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_source, make_tag


def _slug(client: RecordingClient, article: dict[str, Any]) -> str:
    return str(article["translations"][0]["slug"])


def _related(client: RecordingClient, slug: str, **params: Any) -> list[str]:
    response = client.get(f"/v1/articles/{slug}/related", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def _newsroom(client: RecordingClient, headers: dict[str, str]) -> None:
    for tag in ("war", "energy", "kyiv"):
        make_tag(client, headers, tag)
    for source in ("isw", "bbc"):
        make_source(client, headers, source)


def test_related_articles_rank_by_shared_tags_then_sources_then_recency(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    _newsroom(client, editor_headers)
    cite = [{"source": "isw"}, {"source": "bbc"}, {"source": "isw"}]
    seed = make_article(client, editor_headers, tags=["war", "energy"], citations=cite)
    two_tags = make_article(
        client, editor_headers, tags=["energy", "war"], published_at=hours_ago(50)
    )
    tag_and_source = make_article(
        client,
        editor_headers,
        tags=["war"],
        citations=[{"source": "isw"}],
        published_at=hours_ago(40),
    )
    newer_tag = make_article(client, editor_headers, tags=["energy"], published_at=hours_ago(2))
    older_tag = make_article(client, editor_headers, tags=["war"], published_at=hours_ago(30))
    two_sources = make_article(
        client,
        editor_headers,
        citations=[{"source": "bbc"}, {"source": "isw"}],
        published_at=hours_ago(3),
    )
    one_source = make_article(
        client, editor_headers, citations=[{"source": "bbc"}], published_at=hours_ago(4)
    )
    make_article(client, editor_headers, tags=["kyiv"])  # shares nothing

    assert _related(client, _slug(client, seed), limit=20) == [
        two_tags["id"],  # 2 tags: 4
        tag_and_source["id"],  # 1 tag + 1 source: 3
        newer_tag["id"],  # 1 tag: 2, 2 hours old
        two_sources["id"],  # 2 sources: 2, 3 hours old
        older_tag["id"],  # 1 tag: 2, 30 hours old
        one_source["id"],  # 1 source: 1
    ]
    assert _related(client, _slug(client, seed), limit=2) == [two_tags["id"], tag_and_source["id"]]
    assert _related(client, _slug(client, seed)) == _related(client, _slug(client, seed), limit=5)


def test_related_articles_are_public_only(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    _newsroom(client, editor_headers)
    seed = make_article(client, editor_headers, tags=["war"], citations=[{"source": "isw"}])
    public = make_article(client, editor_headers, tags=["war"], published_at=hours_ago(5))
    make_article(
        client, editor_headers, tags=["war"], citations=[{"source": "isw"}], status="draft"
    )
    make_article(
        client,
        editor_headers,
        tags=["war"],
        citations=[{"source": "isw"}],
        published_at=datetime.now(UTC) + timedelta(hours=3),  # scheduled
    )
    make_article(client, editor_headers, tags=["war"], status="archived", published_at=hours_ago(2))
    unpublished = make_article(client, editor_headers, tags=["war"], published_at=hours_ago(1))
    taken_back = client.post(
        f"/v1/editor/articles/{unpublished['id']}/unpublish", headers=editor_headers
    )
    assert taken_back.status_code == 200

    assert _related(client, _slug(client, seed)) == [public["id"]]
    draft = make_article(client, editor_headers, tags=["war"], status="draft")
    hidden = client.get(f"/v1/articles/{_slug(client, draft)}/related")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert hidden.json()["detail"] == f"No published article has the slug '{_slug(client, draft)}'."


def test_related_articles_are_in_the_readers_language_with_fallback(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    _newsroom(client, editor_headers)
    seed = make_article(client, editor_headers, tags=["war"])
    both = make_article(
        client,
        editor_headers,
        tags=["war"],
        translations=[
            {"lang": "uk", "title": "Двомовна"},
            {"lang": "en", "title": "Bilingual"},
        ],
        published_at=hours_ago(2),
    )
    make_article(
        client, editor_headers, tags=["war"], title="Лише українською", published_at=hours_ago(3)
    )

    response = client.get(f"/v1/articles/{_slug(client, seed)}/related", params={"lang": "en"})
    assert response.headers["content-language"] == "en"
    data = response.json()["data"]
    assert [(item["lang"], item["title"]) for item in data] == [
        ("en", "Bilingual"),
        ("uk", "Лише українською"),
    ]
    assert data[0]["id"] == both["id"]
    sparse = client.get(
        f"/v1/articles/{_slug(client, seed)}/related", params={"fields": "id,featured"}
    )
    assert [set(item) for item in sparse.json()["data"]] == [{"id", "featured"}] * 2


def test_an_article_with_no_tags_or_sources_has_no_related_ones(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    seed = make_article(client, editor_headers)
    make_article(client, editor_headers)
    assert _related(client, _slug(client, seed)) == []
    for limit in (0, 21, "x"):
        bad = client.get(f"/v1/articles/{_slug(client, seed)}/related", params={"limit": limit})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"


def test_large_tags_bring_only_their_newest_public_articles(
    client: RecordingClient, editor_headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The candidate bound: a tag with RELATED_SMALL or more articles is read newest first
    through the feed index, RELATED_CANDIDATES of them; the small ones whole."""
    monkeypatch.setattr(repository, "RELATED_SMALL", 3)
    monkeypatch.setattr(repository, "RELATED_CANDIDATES", 2)
    _newsroom(client, editor_headers)
    seed = make_article(client, editor_headers, tags=["war", "kyiv"])
    war = [
        make_article(client, editor_headers, tags=["war"], published_at=hours_ago(10 + n))
        for n in range(4)
    ]
    make_article(client, editor_headers, tags=["war"], status="draft")
    kyiv = make_article(client, editor_headers, tags=["kyiv"], published_at=hours_ago(100))

    assert _related(client, _slug(client, seed), limit=20) == [
        war[0]["id"],
        war[1]["id"],
        kyiv["id"],
    ]
