"""Syndication feeds: RSS 2.0 and Atom 1.0 parse back with feedparser, JSON Feed 1.1 has
the fields its spec requires; each carries exactly the public items of the feed, in order,
in the feed's language with the feed's fallback."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.feeds.service import FEED_LENGTH
from tests.conftest import RecordingClient
from tests.factories import feed_ids, hours_ago, make_article, make_source, make_tag, seed_published

MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
FEED_VERSIONS = {"rss": "rss20", "atom": "atom10"}


@pytest.fixture
def newsroom(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, Any]:
    """Public articles in uk, en and both, plus a draft, an archived and a scheduled one."""
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_source(client, editor_headers, "isw", uk="ІВВ", en="ISW")
    news = {"tags": ["news"], "citations": [{"source": "isw"}]}
    articles = {
        "uk_only": make_article(
            client,
            editor_headers,
            title="Укриття у метро",
            body="<p>Станції відкриті.</p>",
            published_at=hours_ago(1),
            tags=["news"],
        ),
        "en_only": make_article(
            client,
            editor_headers,
            lang="en",
            title="Grain corridor",
            body="<p>Ships sailed.</p>",
            published_at=hours_ago(2),
            cover_image_url="https://example.org/ship.jpg",
            **news,
        ),
        "both": make_article(
            client,
            editor_headers,
            translations=[
                {"lang": "uk", "title": "Звіт ISW", "excerpt": "Коротко.", "body": "<p>Укр.</p>"},
                {"lang": "en", "title": "ISW report", "excerpt": "In short.", "body": "<p>En.</p>"},
            ],
            published_at=hours_ago(3),
            **news,
        ),
        "untagged": make_article(
            client, editor_headers, title="Без рубрики", published_at=hours_ago(4)
        ),
    }
    for status, moment in (
        ("draft", None),
        ("archived", hours_ago(0.5)),
        ("published", datetime.now(UTC) + timedelta(days=1)),
    ):
        make_article(
            client, editor_headers, title="Прихована", status=status, published_at=moment, **news
        )
    return articles


def fetch(client: RecordingClient, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, response.text
    fmt = path.rsplit(".", 1)[1]
    assert response.headers["content-type"] == MEDIA_TYPES[fmt]
    return response.content


def expected_items(client: RecordingClient, lang: str, **filters: str) -> list[dict[str, Any]]:
    """What the JSON feed API shows in `lang`: the same items, order and fallback."""
    response = client.get("/v1/articles", params={"lang": lang, "limit": 100, **filters})
    return list(response.json()["data"])


def item_url(item: dict[str, Any]) -> str:
    return next(t["url"] for t in item["translations"] if t["lang"] == item["lang"])


def check_json_feed(doc: dict[str, Any]) -> None:
    """The JSON Feed 1.1 spec: required fields, types, and extension naming."""
    top = {
        "version", "title", "home_page_url", "feed_url", "description", "user_comment",
        "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items",
    }  # fmt: skip
    item_fields = {
        "id", "url", "external_url", "title", "content_html", "content_text", "summary",
        "image", "banner_image", "date_published", "date_modified", "authors", "tags",
        "language", "attachments",
    }  # fmt: skip
    extension = re.compile(r"^_[A-Za-z0-9]")
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(doc["title"], str) and doc["title"]
    assert isinstance(doc["items"], list)
    for url in ("home_page_url", "feed_url"):
        assert doc[url].startswith(("https://", "http://"))
    assert all(key in top or extension.match(key) for key in doc)
    for item in doc["items"]:
        assert all(key in item_fields or extension.match(key) for key in item), item
        assert all(isinstance(item[k], dict) for k in item if k not in item_fields)
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html", item.get("content_text")), str)
        for field in ("url", "image"):
            assert field not in item or item[field].startswith(("https://", "http://"))
        for field in ("date_published", "date_modified"):  # RFC 3339
            assert datetime.fromisoformat(item[field]).tzinfo is not None
        assert all(isinstance(tag, str) for tag in item["tags"])


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_rss_and_atom_parse_back_with_exactly_the_public_items_in_order(
    client: RecordingClient, newsroom: dict[str, Any], lang: str
) -> None:
    expected = expected_items(client, lang)
    assert [item["id"] for item in expected] == [
        newsroom[key]["id"] for key in ("uk_only", "en_only", "both", "untagged")
    ]
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(fetch(client, f"/v1/feeds/{lang}.{fmt}"))

        assert parsed.bozo is False, parsed.get("bozo_exception")
        assert parsed.version == FEED_VERSIONS[fmt]
        assert parsed.feed.title == "Dopys"
        assert parsed.feed.link == "https://example.com/"
        assert parsed.feed.language == lang
        # The item's own link: RSS has one; Atom's first alternate (feedparser's `link`
        # is the last one, a translation, where there are several).
        assert [
            (entry.id, entry.title, entry.links[0].href, entry.published_parsed[:6])
            for entry in parsed.entries
        ] == [
            (
                f"urn:uuid:{item['id']}",
                item["title"],
                item_url(item),
                datetime.fromisoformat(item["published_at"]).astimezone(UTC).timetuple()[:6],
            )
            for item in expected
        ], fmt
        assert [entry.summary for entry in parsed.entries] == [item["excerpt"] for item in expected]
        bodies = [entry.content[0].value for entry in parsed.entries]
        both_body = "<p>Укр.</p>" if lang == "uk" else "<p>En.</p>"
        assert bodies == [
            "<p>Станції відкриті.</p>",
            "<p>Ships sailed.</p>",
            both_body,
            "<p>Текст.</p>",
        ]
        # Each item's tag in that item's language (issue 20), whatever the feed's.
        names = [{"uk": "Новини", "en": "News"}[item["lang"]] for item in expected]
        tags = [[t.label or t.term for t in entry.get("tags", [])] for entry in parsed.entries]
        assert tags == [[names[0]], [names[1]], [names[2]], []]


def test_atom_links_translations_and_other_languages_with_hreflang(
    client: RecordingClient, newsroom: dict[str, Any]
) -> None:
    parsed = feedparser.parse(fetch(client, "/v1/feeds/en.atom"))

    assert [
        (link.rel, link.type, link.get("hreflang"), link.href) for link in parsed.feed.links
    ] == [
        ("self", "application/atom+xml", None, "http://testserver/v1/feeds/en.atom"),
        ("alternate", "text/html", "en", "https://example.com/"),
        ("alternate", "application/atom+xml", "uk", "http://testserver/v1/feeds/uk.atom"),
    ]
    both = next(e for e in parsed.entries if e.id == f"urn:uuid:{newsroom['both']['id']}")
    assert [(link.rel, link.type, link.hreflang, link.href) for link in both.links] == [
        ("alternate", "text/html", "en", "https://example.com/en/isw-report"),
        ("alternate", "text/html", "uk", "https://example.com/uk/zvit-isw"),
    ]


@pytest.mark.parametrize("lang", ["uk", "en"])
def test_json_feed_follows_the_spec_with_exactly_the_public_items_in_order(
    client: RecordingClient, newsroom: dict[str, Any], lang: str
) -> None:
    doc = json.loads(fetch(client, f"/v1/feeds/{lang}.json"))

    check_json_feed(doc)
    assert {k: doc[k] for k in doc if k != "items"} == {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Dopys",
        "home_page_url": "https://example.com/",
        "feed_url": f"http://testserver/v1/feeds/{lang}.json",
        "description": {"uk": "Свіжі дописи: Dopys", "en": "Fresh posts: Dopys"}[lang],
        "language": lang,
    }
    expected = expected_items(client, lang)
    assert [
        (item["id"], item["title"], item["url"], item["language"], item["summary"])
        for item in doc["items"]
    ] == [
        (f"urn:uuid:{e['id']}", e["title"], item_url(e), e["lang"], e["excerpt"]) for e in expected
    ]
    en_only = doc["items"][1]
    assert en_only["image"] == "https://example.org/ship.jpg"
    assert en_only["content_html"] == "<p>Ships sailed.</p>"
    assert en_only["tags"] == ["News"]  # in the item's language, as its body (issue 20)
    assert datetime.fromisoformat(en_only["date_published"]) == datetime.fromisoformat(
        expected[1]["published_at"]
    )
    assert doc["items"][2]["_dopys"]["translations"] == expected[2]["translations"]


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_tag_and_source_feeds_carry_only_their_articles(
    client: RecordingClient, newsroom: dict[str, Any], fmt: str
) -> None:
    for path, filters, title in (
        ("uk/tags/news", {"tag": "news"}, "Dopys: Новини"),
        ("en/sources/isw", {"source": "isw"}, "Dopys: ISW"),
    ):
        lang = path[:2]
        content = fetch(client, f"/v1/feeds/{path}.{fmt}")
        if fmt == "json":
            doc = json.loads(content)
            check_json_feed(doc)
            ids, feed_title = [item["id"] for item in doc["items"]], doc["title"]
            assert doc["feed_url"] == f"http://testserver/v1/feeds/{path}.json"
        else:
            parsed = feedparser.parse(content)
            assert parsed.bozo is False
            ids, feed_title = [entry.id for entry in parsed.entries], parsed.feed.title
        assert feed_title == title
        assert ids == [f"urn:uuid:{item['id']}" for item in expected_items(client, lang, **filters)]
    assert len(ids) == 2


def test_a_feed_carries_the_newest_articles_only(
    client: RecordingClient, sessions: sessionmaker[Session]
) -> None:
    seed_published(sessions, [hours_ago(1 + i) for i in range(FEED_LENGTH + 5)])
    doc = json.loads(fetch(client, "/v1/feeds/uk.json"))
    assert [item["id"] for item in doc["items"]] == [
        f"urn:uuid:{article_id}" for article_id in feed_ids(client, limit=FEED_LENGTH)
    ]


def test_an_empty_feed_is_still_valid(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "quiet")
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(fetch(client, f"/v1/feeds/uk/tags/quiet.{fmt}"))
        assert parsed.bozo is False
        assert parsed.entries == []
    doc = json.loads(fetch(client, "/v1/feeds/en/tags/quiet.json"))
    check_json_feed(doc)
    assert doc["items"] == []


def test_feeds_set_the_content_language(client: RecordingClient, newsroom: dict[str, Any]) -> None:
    for lang in ("uk", "en"):
        assert client.get(f"/v1/feeds/{lang}.atom").headers["content-language"] == lang


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/v1/feeds/de.rss", "No feeds in 'de'; there are feeds in uk, en."),
        ("/v1/feeds/uk.xml", "No feed format '.xml'; there are .rss, .atom, .json."),
        ("/v1/feeds/uk.RSS", "No feed format '.RSS'; there are .rss, .atom, .json."),
        ("/v1/feeds/uk/tags/nope.atom", "No tag has the slug 'nope'."),
        ("/v1/feeds/uk/sources/nope.json", "No source has the slug 'nope'."),
        ("/v1/feeds/de/tags/news.atom", "No feeds in 'de'; there are feeds in uk, en."),
        ("/v1/feeds/uk", None),
        ("/v1/feeds/uk/tags/news", None),
        (
            "/v1/feeds/uk/people/x.rss",
            "No feeds by 'people'; there are feeds by tags, sources, authors.",
        ),
        ("/v1/feeds/uk/authors/x.rss", "No author has the slug 'x'."),
        ("/v1/feeds/uk/author/x.json", "No author has the slug 'x'."),
    ],
)
def test_unknown_languages_formats_tags_and_sources_are_404_problems(
    client: RecordingClient, path: str, detail: str | None
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    if detail is not None:
        assert response.json()["detail"] == detail


def test_feeds_are_cacheable_until_the_content_changes(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_article(client, editor_headers, title="Перший допис", published_at=hours_ago(2))
    first = client.get("/v1/feeds/uk.atom")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=300"
    assert client.get("/v1/feeds/uk.atom", headers={"If-None-Match": etag}).status_code == 304

    make_article(client, editor_headers, title="Другий допис")
    changed = client.get("/v1/feeds/uk.atom", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    titles = [entry.title for entry in feedparser.parse(changed.content).entries]
    assert titles == ["Другий допис", "Перший допис"]
