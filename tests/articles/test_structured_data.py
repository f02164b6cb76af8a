"""schema.org data (app.articles.structured) on article and page responses: parsed as
JSON-LD by a real processor (pyld, expanding against a local copy of the schema.org
vocabulary mapping: no network), then checked for the types and the properties Google lists
for articles (headline, image, datePublished, dateModified, author name and url, publisher)
and for paywalled content (isAccessibleForFree, hasPart with a cssSelector)."""

import json
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from pyld import jsonld
from sqlalchemy import update

from app.core.config import Settings
from app.main import create_app
from app.models import Article
from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_author, make_source, make_tag

S = "https://schema.org/"
SCHEMA_CONTEXT = {"@context": {"@vocab": S}}
LOGO = "https://example.com/logo.png"
AUTHORS = "https://example.com/{lang}/authors/{slug}"
COVER = {"url": "https://img.example/cover.jpg", "width": 1200, "height": 675}
SECRET = "Текст лише для передплатників"


def _local_loader(url: str, _options: Any = None) -> dict[str, Any]:
    """The schema.org context, served locally; any other URL fails (no network)."""
    if url.rstrip("/") not in ("https://schema.org", "http://schema.org"):
        raise jsonld.JsonLdError(f"no network in tests: {url}", "loading document failed")
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}


def expand(data: dict[str, Any]) -> dict[str, Any]:
    """The one top-level node of `data` as JSON-LD expansion gives it."""
    expanded = jsonld.expand(data, {"documentLoader": _local_loader})
    assert len(expanded) == 1, expanded
    node: dict[str, Any] = expanded[0]
    return node


def values(node: dict[str, Any], name: str) -> list[Any]:
    """Plain values of a property (`@value`s; nodes as they are)."""
    return [item.get("@value", item) for item in node.get(S + name, [])]


def one(node: dict[str, Any], name: str) -> Any:
    found = values(node, name)
    assert len(found) == 1, (name, node)
    return found[0]


def types(node: dict[str, Any]) -> list[str]:
    return [t.removeprefix(S) for t in node.get("@type", [])]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        site_title="Допис",
        publisher_url="https://example.com/",
        publisher_logo_url=LOGO,
        frontend_author_url_template=AUTHORS,
        paywall_css_selector=".members-only",
    )


@pytest.fixture
def newsroom(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, str]:
    """A section, an author and a source, each named in both languages."""
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_author(
        client,
        editor_headers,
        "anna",
        names={"uk": "Анна Коваль", "en": "Anna Koval"},
        links=["https://social.example/@anna"],
    )
    make_source(client, editor_headers, "isw", uk="ІВВ", en="ISW")
    return editor_headers


def _page(client: RecordingClient, slug: str, kind: str = "articles") -> dict[str, Any]:
    response = client.get(f"/v1/{kind}/{slug}")
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def _assert_google_article(data: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
    """What Google lists for an Article of this page; returns the expanded node."""
    assert data["@context"] == "https://schema.org"
    node = expand(data)
    assert types(node) == ["NewsArticle"]
    headline = one(node, "headline")
    assert headline == page["title"] and len(headline) <= 110
    assert one(node, "description") == page["seo"]["meta_description"]
    assert one(node, "inLanguage") == page["lang"]
    url = next(t["url"] for t in page["translations"] if t["lang"] == page["lang"])
    assert node["@id"] == url and one(node, "url") == url
    assert one(node, "mainEntityOfPage")["@id"] == url
    for name, field in (("datePublished", "published_at"), ("dateModified", "updated_at")):
        moment = one(node, name)
        assert datetime.fromisoformat(moment).tzinfo is not None  # ISO 8601 with a zone
        assert moment == page[field]
    publisher = one(node, "publisher")
    assert types(publisher) == ["Organization"] and one(publisher, "name") == "Допис"
    logo = one(publisher, "logo")
    assert types(logo) == ["ImageObject"] and one(logo, "url") == LOGO
    for author in values(node, "author"):
        assert types(author) in (["Person"], ["Organization"])
        assert one(author, "name") and one(author, "url").startswith("https://")
    free = one(node, "isAccessibleForFree")
    assert free is (page["visibility"] == "public")
    return node


def test_an_article_with_everything(client: RecordingClient, newsroom: dict[str, str]) -> None:
    article = make_article(
        client,
        newsroom,
        tags=["news"],
        authors=["anna"],
        citations=[{"source": "isw", "url": "https://understandingwar.org/report"}],
        cover_image=COVER,
        translations=[
            {"lang": "uk", "title": "Метро відкрили", "excerpt": "Три станції.", "body": "<p>Т</p>"}
        ],
    )
    page = _page(client, article["translations"][0]["slug"])
    node = _assert_google_article(page["structured_data"], page)
    image = one(node, "image")
    assert types(image) == ["ImageObject"]
    assert (one(image, "url"), one(image, "width"), one(image, "height")) == (
        COVER["url"],
        1200,
        675,
    )
    author = one(node, "author")
    assert types(author) == ["Person"]
    assert one(author, "name") == "Анна Коваль"
    assert one(author, "url") == "https://example.com/uk/authors/anna"
    assert one(author, "sameAs") == "https://social.example/@anna"
    citation = one(node, "citation")
    assert types(citation) == ["CreativeWork"]
    assert one(citation, "url") == "https://understandingwar.org/report"
    assert one(one(citation, "publisher"), "name") == "ІВВ"
    assert one(node, "articleSection") == "Новини"
    assert values(node, "keywords") == ["Новини"]
    assert S + "hasPart" not in node


def test_an_article_without_cover_author_or_source(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """The byline is the newsroom (the publisher); no image, citation or section."""
    article = make_article(client, editor_headers, title="Коротко")
    page = _page(client, article["translations"][0]["slug"])
    node = _assert_google_article(page["structured_data"], page)
    author = one(node, "author")
    assert types(author) == ["Organization"] and one(author, "name") == "Допис"
    for absent in ("image", "citation", "articleSection", "keywords", "hasPart"):
        assert S + absent not in node, absent


def test_each_translation_has_its_own_language_url_and_names(
    client: RecordingClient, newsroom: dict[str, str]
) -> None:
    article = make_article(
        client,
        newsroom,
        tags=["news"],
        authors=["anna"],
        citations=[{"source": "isw"}],
        translations=[
            {"lang": "uk", "title": "Метро відкрили", "slug": "metro-uk", "body": "<p>Т</p>"},
            {"lang": "en", "title": "Metro reopens", "slug": "metro-en", "body": "<p>T</p>"},
        ],
    )
    assert article["original_lang"] == "uk"
    expected = {
        "metro-uk": ("uk", "Анна Коваль", "Новини", "ІВВ"),
        "metro-en": ("en", "Anna Koval", "News", "ISW"),
    }
    for slug, (lang, author, section, source) in expected.items():
        page = _page(client, slug)
        node = _assert_google_article(page["structured_data"], page)
        assert one(node, "inLanguage") == lang
        assert node["@id"] == f"https://example.com/{lang}/{slug}"
        assert one(one(node, "author"), "name") == author
        assert one(one(node, "author"), "url") == f"https://example.com/{lang}/authors/anna"
        assert one(node, "articleSection") == section
        assert one(one(node, "citation"), "name") == source
    original = expand(_page(client, "metro-uk")["structured_data"])
    assert one(original, "workTranslation")["@id"] == "https://example.com/en/metro-en"
    translation = expand(_page(client, "metro-en")["structured_data"])
    assert one(translation, "translationOfWork")["@id"] == "https://example.com/uk/metro-uk"


def test_a_restricted_article_marks_its_paywalled_part(
    client: RecordingClient, newsroom: dict[str, str]
) -> None:
    article = make_article(
        client,
        newsroom,
        visibility="restricted",
        authors=["anna"],
        translations=[{"lang": "uk", "title": "Для своїх", "body": f"<p>{SECRET}</p>"}],
    )
    page = _page(client, article["translations"][0]["slug"])
    assert page["body"] is None
    node = _assert_google_article(page["structured_data"], page)
    assert one(node, "isAccessibleForFree") is False
    part = one(node, "hasPart")
    assert types(part) == ["WebPageElement"]
    assert one(part, "isAccessibleForFree") is False
    assert one(part, "cssSelector") == ".members-only"
    assert SECRET not in json.dumps(page["structured_data"], ensure_ascii=False)


def test_no_body_text_is_ever_in_the_data(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Public or not, the data carries no article text beyond its excerpt (Google reads the
    text from the page), and a draft has no public page at all."""
    text = [{"lang": "uk", "title": "Відкрита", "excerpt": "Вступ.", "body": f"<p>{SECRET}</p>"}]
    public = make_article(client, editor_headers, translations=text)
    draft = make_article(client, editor_headers, status="draft", body=f"<p>{SECRET}</p>")
    page = _page(client, public["translations"][0]["slug"])
    assert SECRET in page["body"]
    assert SECRET not in json.dumps(page["structured_data"], ensure_ascii=False)
    assert S + "articleBody" not in expand(page["structured_data"])
    assert client.get(f"/v1/articles/{draft['translations'][0]['slug']}").status_code == 404
    listed = client.get("/v1/articles", params={"include": "body"}).content.decode()
    assert "structured_data" not in listed  # lists stay small (see the README)


def test_a_page_is_a_web_page(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    made = make_article(
        client,
        editor_headers,
        type="page",
        cover_image={"url": COVER["url"]},
        translations=[{"lang": "uk", "title": "Про нас", "slug": "about", "body": "<p>Ми</p>"}],
    )
    assert made["type"] == "page"
    page = _page(client, "about", "pages")
    node = expand(page["structured_data"])
    assert types(node) == ["WebPage"]
    assert node["@id"] == "https://example.com/uk/about"
    assert one(node, "headline") == "Про нас"
    assert one(node, "inLanguage") == "uk"
    assert one(one(node, "publisher"), "name") == "Допис"
    assert one(one(node, "image"), "url") == COVER["url"]
    assert S + "mainEntityOfPage" not in node


def test_a_long_title_is_cut_at_a_word_to_110_characters(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    title = " ".join(["Слово"] * 40)  # 239 characters
    article = make_article(client, editor_headers, title=title)
    page = _page(client, article["translations"][0]["slug"])
    headline = one(expand(page["structured_data"]), "headline")
    assert len(headline) <= 110 and headline.endswith("…")
    assert title.startswith(headline.removesuffix("…"))
    assert headline.removesuffix("…").endswith("Слово")
    assert page["title"] == title  # the title itself is whole


def test_changed_publisher_settings_are_served_at_once(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str], settings: Settings
) -> None:
    """The publisher's settings are in the stored renderings' fingerprint: a server started
    with another logo serves it, not the stored one."""
    article = make_article(client, editor_headers, published_at=hours_ago(2))
    slug = article["translations"][0]["slug"]
    assert _page(client, slug)["structured_data"]["publisher"]["logo"]["url"] == LOGO
    other = settings.model_copy(update={"publisher_logo_url": "https://cdn.example/new.svg"})
    with RecordingClient(create_app(other)) as fresh:
        data = _page(fresh, slug)["structured_data"]
        assert data["publisher"]["logo"]["url"] == "https://cdn.example/new.svg"


def _items(client: RecordingClient, url: str, **params: str) -> list[dict[str, Any]]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


def test_lists_carry_it_only_when_asked(
    app: FastAPI, client: RecordingClient, newsroom: dict[str, str]
) -> None:
    """`include=structured_data` on the feeds of articles and pages and on sync: each item's
    is its article page's, for the translation the item is in; stored or rendered now."""
    make_article(
        client,
        newsroom,
        tags=["news"],
        authors=["anna"],
        visibility="restricted",
        translations=[
            {"lang": "uk", "title": "Метро", "slug": "metro-uk", "body": f"<p>{SECRET}</p>"},
            {"lang": "en", "title": "Metro", "slug": "metro-en", "body": "<p>T</p>"},
        ],
    )
    make_article(client, newsroom, title="Друга", citations=[{"source": "isw"}])
    make_article(client, newsroom, type="page", translations=[{"lang": "uk", "title": "Про нас"}])
    for url in ("/v1/articles", "/v1/sync", "/v1/pages"):
        assert all("structured_data" not in item for item in _items(client, url))
        for lang in ("uk", "en"):
            items = _items(client, url, include="structured_data", lang=lang)
            assert items and all("body" not in item for item in items)
            kind = "pages" if url == "/v1/pages" else "articles"
            for item in items:
                page = _page(client, f"{item['slug']}?lang={item['lang']}", kind)
                assert item["structured_data"] == page["structured_data"]
                assert SECRET not in json.dumps(item["structured_data"], ensure_ascii=False)
        both = _items(client, url, include="body,structured_data")
        assert all("body" in item and "structured_data" in item for item in both)
    sparse = _items(client, "/v1/articles", include="structured_data", fields="id,title")
    assert {tuple(item) for item in sparse} == {("id", "title", "structured_data")}
    # A rendering gone stale is not served: the data is rendered from the rows again.
    writes = app.state.write_sessions
    with writes() as session:
        session.execute(update(Article).values(change_seq=Article.change_seq + 1000))
        session.commit()
    fresh = _items(client, "/v1/articles", include="structured_data", lang="en", _="stale")
    assert [item["structured_data"]["inLanguage"] for item in fresh] == ["uk", "en"]


def test_search_refuses_to_include_it(client: RecordingClient) -> None:
    response = client.get("/v1/search", params={"q": "метро", "include": "structured_data"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
