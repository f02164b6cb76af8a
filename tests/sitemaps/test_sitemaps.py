"""Issue 23: sitemaps (sitemaps.org 0.9, with hreflang alternates) and Google News
sitemaps. Every document is checked against the published XSDs (tests/data/sitemaps)."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from app.sitemaps import service
from tests.conftest import RecordingClient, route_statements
from tests.factories import hours_ago, iso, make_article, make_author, make_tag
from tests.imports.helpers import article_line, ndjson, post_import

SCHEMAS = Path(__file__).parent.parent / "data" / "sitemaps"
NS = {
    "s": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "x": "http://www.w3.org/1999/xhtml",
    "n": "http://www.google.com/schemas/sitemap-news/0.9",
}
SITE = "https://example.com"


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    return {
        name: etree.XMLSchema(etree.parse(str(SCHEMAS / f"{name}.xsd")))
        for name in ("urlset", "siteindex")
    }


class Sitemaps:
    def __init__(self, client: RecordingClient, schemas: dict[str, etree.XMLSchema]) -> None:
        self.client, self.schemas = client, schemas

    def get(self, path: str) -> Any:
        """The document at `path`, valid against its XSD."""
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        root = etree.fromstring(response.content)
        schema = self.schemas["siteindex" if root.tag.endswith("sitemapindex") else "urlset"]
        assert schema.validate(root), schema.error_log
        return root

    def index(self) -> list[str]:
        """The children's paths, as /v1/sitemaps/... ."""
        root = self.get("/v1/sitemaps/index.xml")
        return [
            loc.removeprefix("http://testserver")
            for loc in root.xpath("//s:loc/text()", namespaces=NS)
        ]

    def locs(self, path: str) -> set[str]:
        return set(self.get(path).xpath("//s:url/s:loc/text()", namespaces=NS))

    def urls(self, path: str) -> dict[str, dict[str, Any]]:
        """Each URL's lastmod and alternates {hreflang: href}."""
        found = {}
        for url in self.get(path).xpath("//s:url", namespaces=NS):
            links = url.xpath("x:link", namespaces=NS)
            found[url.findtext("s:loc", namespaces=NS)] = {
                "lastmod": url.findtext("s:lastmod", namespaces=NS),
                "alternates": {link.get("hreflang"): link.get("href") for link in links},
                "rels": {link.get("rel") for link in links},
            }
        return found

    def missing(self, path: str) -> None:
        response = self.client.get(path)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"


@pytest.fixture
def sitemaps(client: RecordingClient, schemas: dict[str, etree.XMLSchema]) -> Sitemaps:
    return Sitemaps(client, schemas)


@pytest.fixture
def small_files(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(service, "MAX_URLS", 2)
    yield


MARCH = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)


def _bilingual(slug: str) -> list[dict[str, str]]:
    return [
        {"lang": "uk", "title": f"Стаття {slug}", "slug": f"{slug}-uk", "body": "<p>Т.</p>"},
        {"lang": "en", "title": f"Article {slug}", "slug": f"{slug}-en", "body": "<p>T.</p>"},
    ]


def test_urls_follow_publish_unpublish_schedule_delete_and_slug_change(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    a = make_article(client, editor_headers, published_at=MARCH, translations=_bilingual("a"))
    make_article(
        client,
        editor_headers,
        published_at=MARCH,
        visibility="restricted",
        translations=[{"lang": "uk", "title": "Платна", "slug": "paid"}],
    )
    make_article(
        client,
        editor_headers,
        status="draft",
        translations=[{"lang": "uk", "title": "Ч", "slug": "draft"}],
    )
    later = make_article(
        client,
        editor_headers,
        status="draft",
        translations=[{"lang": "uk", "title": "П", "slug": "later"}],
    )
    future = datetime.now(UTC) + timedelta(days=3)
    scheduled = client.post(
        f"/v1/editor/articles/{later['id']}/schedule",
        json={"published_at": iso(future)},
        headers=editor_headers,
    )
    assert scheduled.status_code == 200, scheduled.text
    make_article(
        client,
        editor_headers,
        type="page",
        published_at=MARCH,
        translations=[{"lang": "uk", "title": "Про нас", "slug": "about"}],
    )

    march = "/v1/sitemaps/articles/2025-03.xml"
    assert sitemaps.index() == [march, "/v1/sitemaps/pages/2025-03.xml"]
    # Restricted articles are listed (their pages are public); drafts and scheduled are not.
    assert sitemaps.locs(march) == {f"{SITE}/uk/a-uk", f"{SITE}/en/a-en", f"{SITE}/uk/paid"}
    assert sitemaps.locs("/v1/sitemaps/pages/2025-03.xml") == {f"{SITE}/uk/about"}

    # Published: the new month appears, with the article.
    base = f"/v1/editor/articles/{later['id']}"
    now = client.post(f"{base}/publish", headers=editor_headers).json()["published_at"]
    month = datetime.fromisoformat(now).strftime("%Y-%m")
    current = f"/v1/sitemaps/articles/{month}.xml"
    assert sitemaps.index() == [march, current, "/v1/sitemaps/pages/2025-03.xml"]
    assert sitemaps.locs(current) == {f"{SITE}/uk/later"}

    # Unpublished: gone, and so is its month.
    assert client.post(f"{base}/unpublish", headers=editor_headers).status_code == 200
    sitemaps.missing(current)
    assert sitemaps.index() == [march, "/v1/sitemaps/pages/2025-03.xml"]

    # A slug change moves the URL.
    renamed = client.put(
        f"/v1/editor/articles/{a['id']}/translations/en",
        json={"title": "Article a", "slug": "a-renamed", "body": "<p>T.</p>"},
        headers=editor_headers,
    )
    assert renamed.status_code == 200, renamed.text
    assert sitemaps.locs(march) == {f"{SITE}/uk/a-uk", f"{SITE}/en/a-renamed", f"{SITE}/uk/paid"}

    # Deleted: gone.
    assert (
        client.delete(f"/v1/editor/articles/{a['id']}", headers=editor_headers).status_code == 204
    )
    assert sitemaps.locs(march) == {f"{SITE}/uk/paid"}


def test_each_translation_lists_every_version_and_x_default(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    make_article(
        client, editor_headers, lang="en", published_at=MARCH, translations=_bilingual("b")
    )
    make_article(
        client,
        editor_headers,
        published_at=MARCH,
        translations=[{"lang": "uk", "title": "Лише", "slug": "only-uk"}],
    )
    urls = sitemaps.urls("/v1/sitemaps/articles/2025-03.xml")
    both = {"uk": f"{SITE}/uk/b-uk", "en": f"{SITE}/en/b-en", "x-default": f"{SITE}/en/b-en"}
    assert {loc: url["alternates"] for loc, url in urls.items()} == {
        f"{SITE}/uk/b-uk": both,  # x-default: the original language's version
        f"{SITE}/en/b-en": both,
        f"{SITE}/uk/only-uk": {"uk": f"{SITE}/uk/only-uk", "x-default": f"{SITE}/uk/only-uk"},
    }
    assert {rel for url in urls.values() for rel in url["rels"]} == {"alternate"}


def test_a_month_over_the_limit_goes_on_in_numbered_files(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps, small_files: None
) -> None:
    for day in (1, 2, 3):
        make_article(
            client,
            editor_headers,
            published_at=MARCH.replace(day=day),
            translations=[{"lang": "uk", "title": f"День {day}", "slug": f"day-{day}"}],
        )
    make_article(
        client,
        editor_headers,
        published_at=MARCH.replace(month=4),
        translations=_bilingual("april"),
    )
    assert sitemaps.index() == [
        "/v1/sitemaps/articles/2025-03.xml",
        "/v1/sitemaps/articles/2025-03-2.xml",
        "/v1/sitemaps/articles/2025-04.xml",
    ]
    # Oldest first: a new article of the month lands in the last file, the others keep theirs.
    assert sitemaps.locs("/v1/sitemaps/articles/2025-03.xml") == {
        f"{SITE}/uk/day-1",
        f"{SITE}/uk/day-2",
    }
    assert sitemaps.locs("/v1/sitemaps/articles/2025-03-2.xml") == {f"{SITE}/uk/day-3"}
    assert sitemaps.locs("/v1/sitemaps/articles/2025-04.xml") == {
        f"{SITE}/uk/april-uk",
        f"{SITE}/en/april-en",
    }
    for name in ("2025-03-3", "2025-03-1", "2025-05", "2025-13", "march", "0000-01", "9999-12"):
        sitemaps.missing(f"/v1/sitemaps/articles/{name}.xml")
    sitemaps.missing("/v1/sitemaps/videos/1.xml")


def test_sections_tags_and_authors_with_public_articles(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps, small_files: None
) -> None:
    client.post(
        "/v1/editor/tags",
        json={"slug": "war", "kind": "section", "names": {"uk": "Війна", "en": "War"}},
        headers=editor_headers,
    )
    for slug in ("alpha", "beta", "gamma", "empty"):
        make_tag(client, editor_headers, slug, uk=slug.title())
    make_author(client, editor_headers, "olena", names={"uk": "Олена", "en": "Olena"})
    make_article(
        client,
        editor_headers,
        published_at=MARCH,
        tags=["war", "alpha", "beta", "gamma"],
        authors=["olena"],
    )
    make_article(client, editor_headers, status="draft", tags=["empty"])
    assert [p for p in sitemaps.index() if "/articles/" not in p] == [
        "/v1/sitemaps/sections/1.xml",
        "/v1/sitemaps/tags/1.xml",
        "/v1/sitemaps/tags/2.xml",
        "/v1/sitemaps/authors/1.xml",
    ]
    assert sitemaps.urls("/v1/sitemaps/sections/1.xml")[f"{SITE}/en/section/war"]["alternates"] == {
        "uk": f"{SITE}/uk/section/war",
        "en": f"{SITE}/en/section/war",
        "x-default": f"{SITE}/uk/section/war",
    }
    assert sitemaps.locs("/v1/sitemaps/tags/1.xml") == {
        f"{SITE}/uk/tag/alpha",
        f"{SITE}/uk/tag/beta",
    }
    assert sitemaps.locs("/v1/sitemaps/tags/2.xml") == {f"{SITE}/uk/tag/gamma"}  # not "empty"
    assert sitemaps.locs("/v1/sitemaps/authors/1.xml") == {
        f"{SITE}/uk/author/olena",
        f"{SITE}/en/author/olena",
    }
    sitemaps.missing("/v1/sitemaps/tags/3.xml")
    sitemaps.missing("/v1/sitemaps/tags/0.xml")


def test_lastmod_is_kept_by_an_unchanged_reimport(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    # The time the source says the article last changed (a CMS export carries it).
    line = article_line(1, published_at="2025-03-10T08:00:00Z", updated_at="2025-03-11T09:00:00Z")
    assert post_import(client, editor_headers, ndjson([line]))["created"] == 1
    first = sitemaps.urls("/v1/sitemaps/articles/2025-03.xml")
    assert {url["lastmod"] for url in first.values()} == {"2025-03-11T09:00:00+00:00"}
    assert post_import(client, editor_headers, ndjson([line]))["unchanged"] == 1
    assert sitemaps.urls("/v1/sitemaps/articles/2025-03.xml") == first
    # Without the source's time, a re-import of the same content is unchanged all the same.
    del line["updated_at"]
    assert post_import(client, editor_headers, ndjson([line]))["unchanged"] == 1
    assert sitemaps.urls("/v1/sitemaps/articles/2025-03.xml") == first
    # A changed line moves it.
    title = {**line["translations"][0], "title": "Нова назва"}
    changed = {
        **line,
        "updated_at": "2025-03-12T10:00:00Z",
        "translations": [title, line["translations"][1]],
    }
    assert post_import(client, editor_headers, ndjson([changed]))["updated"] == 1
    again = sitemaps.urls("/v1/sitemaps/articles/2025-03.xml")
    assert {url["lastmod"] for url in again.values()} == {"2025-03-12T10:00:00+00:00"}


def test_news_sitemap_has_the_last_two_days_in_its_language(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    fresh = make_article(
        client, editor_headers, published_at=hours_ago(2), translations=_bilingual("fresh")
    )
    make_article(
        client,
        editor_headers,
        published_at=hours_ago(1),
        translations=[{"lang": "uk", "title": "Тільки & <українською>", "slug": "uk-only"}],
    )
    make_article(client, editor_headers, published_at=hours_ago(49), translations=_bilingual("old"))
    make_article(client, editor_headers, status="draft", translations=_bilingual("draft"))
    root = sitemaps.get("/v1/sitemaps/news/en.xml")
    items = [
        (
            url.findtext("s:loc", namespaces=NS),
            url.findtext("n:news/n:title", namespaces=NS),
            url.findtext("n:news/n:publication/n:name", namespaces=NS),
            url.findtext("n:news/n:publication/n:language", namespaces=NS),
        )
        for url in root.xpath("//s:url", namespaces=NS)
    ]
    assert items == [(f"{SITE}/en/fresh-en", "Article fresh", "Dopys", "en")]
    published = root.findtext(".//n:publication_date", namespaces=NS)
    assert datetime.fromisoformat(published) == datetime.fromisoformat(
        fresh["published_at"]
    ).replace(microsecond=0)
    uk = sitemaps.get("/v1/sitemaps/news/uk.xml")
    assert uk.xpath("//n:title/text()", namespaces=NS) == ["Тільки & <українською>", "Стаття fresh"]
    sitemaps.missing("/v1/sitemaps/news/de.xml")


def test_an_old_month_stays_cached_while_a_publish_changes_the_index(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    make_article(client, editor_headers, published_at=MARCH, translations=_bilingual("old"))
    march = client.get("/v1/sitemaps/articles/2025-03.xml")
    index = client.get("/v1/sitemaps/index.xml")
    make_article(client, editor_headers, published_at=hours_ago(1))
    # The old month's copy is still current: a 304 for its ETag.
    again = client.get(
        "/v1/sitemaps/articles/2025-03.xml", headers={"If-None-Match": march.headers["etag"]}
    )
    assert again.status_code == 304
    fresh = client.get("/v1/sitemaps/index.xml", headers={"If-None-Match": index.headers["etag"]})
    assert fresh.status_code == 200
    assert len(sitemaps.index()) == 2


def test_a_publish_leaves_other_months_cached_and_an_edit_renders_its_own(
    app: Any, client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    old = make_article(client, editor_headers, published_at=MARCH, translations=_bilingual("m"))
    march = "/v1/sitemaps/articles/2025-03.xml"
    first = client.get(march)
    make_article(client, editor_headers, published_at=hours_ago(1))  # another month
    with route_statements(app) as statements:
        again = client.get(march)
    assert statements == []  # served from the response cache: nothing it lists changed
    assert again.content == first.content
    edited = client.put(
        f"/v1/editor/articles/{old['id']}/translations/en",
        json={"title": "Edited", "slug": "m-edited", "body": "<p>T.</p>"},
        headers=editor_headers,
    )
    assert edited.status_code == 200, edited.text
    assert f"{SITE}/en/m-edited" in sitemaps.locs(march)


def test_the_news_sitemap_drops_an_article_when_it_turns_48_hours_old(
    client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    """No write happens then: the cached copy must expire by itself."""
    leaving = datetime.now(UTC) - service.NEWS_WINDOW + timedelta(seconds=1.5)
    make_article(client, editor_headers, published_at=leaving, translations=_bilingual("edge"))
    make_article(client, editor_headers, published_at=hours_ago(1), translations=_bilingual("stay"))

    def titles() -> list[str]:
        return list(
            sitemaps.get("/v1/sitemaps/news/en.xml").xpath("//n:title/text()", namespaces=NS)
        )

    assert titles() == ["Article stay", "Article edge"]
    deadline = time.monotonic() + 10
    while titles() != ["Article stay"]:
        assert time.monotonic() < deadline, "the cached News sitemap outlived its window"
        time.sleep(0.1)


def _month_line(n: int, months: int) -> dict[str, Any]:
    """Article `n`, in one of `months` months from 2023-01 (its first second, UTC)."""
    month = n % months
    return article_line(n, published_at=f"{2023 + month // 12}-{month % 12 + 1:02d}-01T00:00:00Z")


def test_the_index_runs_the_same_sql_for_10_or_200_articles(
    app: Any, client: RecordingClient, editor_headers: dict[str, str], sitemaps: Sitemaps
) -> None:
    # The last second of January, UTC, is January's.
    january = article_line(10_000, published_at="2023-01-31T23:59:59Z")
    lines = [january, *(_month_line(n, 2) for n in range(9))]
    assert post_import(client, editor_headers, ndjson(lines))["created"] == 10
    with route_statements(app) as few:
        assert len(sitemaps.index()) == 2 + 1  # two months, the "news" tag
    more = [_month_line(n, 24) for n in range(9, 199)]
    assert post_import(client, editor_headers, ndjson(more))["created"] == 190
    with route_statements(app) as many:
        children = sitemaps.index()
    assert len(children) == 24 + 1
    assert children[0] == "/v1/sitemaps/articles/2023-01.xml"
    assert len(many) == len(few), many  # not a statement per month, nor per article
