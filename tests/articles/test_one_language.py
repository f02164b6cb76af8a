"""One language per response (issue 20): every name an article carries (its tags, primary
tag, sources, citations, authors and their bios) is in the language of the translation
served, the one Content-Language names, never the reader's when that differs; a name
missing in that language falls back as the body does (the article's original first)."""

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_author, make_source, make_tag

ENGLISH = {
    "tag": "News",
    "source": "Institute for the Study of War",
    "author": "Dopys newsroom",
    "bio": "News the newsroom prepares from open sources.",
}
EN_SLUG = "north-korea-to-send-engineering-troops"
ONLY_EN_SLUG = "democrats-call-on-pentagon"


@pytest.fixture
def newsroom(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    """The README's shapes: the "Новини" section, ISW, the newsroom's byline; an English
    original with a Ukrainian translation, and an English article with no translation."""
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_source(client, editor_headers, "isw", uk="Інститут вивчення війни", en=ENGLISH["source"])
    make_author(
        client,
        editor_headers,
        "editorial",
        names={"uk": "Редакція Dopys", "en": ENGLISH["author"]},
        bios={"uk": "Новини, які редакція готує з відкритих джерел.", "en": ENGLISH["bio"]},
    )
    shared = {
        "lang": "en",
        "tags": ["news"],
        "authors": ["editorial"],
        "citations": [{"source": "isw", "url": "https://www.understandingwar.org/"}],
    }
    make_article(
        client,
        editor_headers,
        published_at=hours_ago(2),
        translations=[
            {"lang": "en", "title": "North Korea to send engineering troops", "body": "<p>E</p>"},
            {"lang": "uk", "title": "КНДР відправить інженерні війська", "body": "<p>У</p>"},
        ],
        **shared,
    )
    make_article(
        client,
        editor_headers,
        published_at=hours_ago(1),
        title="Democrats call on Pentagon",
        body="<p>Pentagon pilots.</p>",
        **shared,
    )


def _names(item: dict[str, Any]) -> dict[str, set[str]]:
    """Every localized name in an article item or page, by kind."""
    found: dict[str, set[str]] = {
        "tag": {t["name"] for t in item["tags"]} | {item["primary_tag"]["name"]},
        "source": {s["name"] for s in item["sources"]},
        "author": {a["name"] for a in item["authors"]},
        "bio": {a["bio"] for a in item["authors"]},
    }
    for citation in item.get("citations", []):
        found["source"].add(citation["source"]["name"])
    return found


def _english(item: dict[str, Any]) -> None:
    assert item["lang"] == "en", item["title"]
    assert _names(item) == {kind: {name} for kind, name in ENGLISH.items()}, item["title"]


def _listed(client: RecordingClient, url: str, **params: str) -> dict[str, Any]:
    """The English-only article in a list a Ukrainian reader (no lang=) gets."""
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-language"] == "uk"
    [item] = [i for i in response.json()["data"] if i["slug"] == ONLY_EN_SLUG]
    return dict(item)


def test_an_english_article_without_lang_has_english_names_everywhere_in_json(
    client: RecordingClient, newsroom: None
) -> None:
    for slug in (EN_SLUG, ONLY_EN_SLUG):  # by its English slug, or with no other version
        page = client.get(f"/v1/articles/{slug}")
        assert page.status_code == 200
        assert page.headers["content-language"] == "en"
        _english(page.json())
    # The Ukrainian translation of the first is Ukrainian throughout.
    translations = client.get(f"/v1/articles/{EN_SLUG}").json()["translations"]
    [uk_slug] = [t["slug"] for t in translations if t["lang"] == "uk"]
    uk = client.get(f"/v1/articles/{uk_slug}").json()
    assert _names(uk)["tag"] == {"Новини"}
    assert _names(uk)["source"] == {"Інститут вивчення війни"}
    for url, params in [
        ("/v1/articles", {}),
        ("/v1/articles", {"tag": "news"}),
        ("/v1/articles", {"source": "isw"}),
        ("/v1/articles", {"author": "editorial"}),
        ("/v1/articles", {"include": "body"}),
        (f"/v1/articles/{EN_SLUG}/related", {}),
        ("/v1/search", {"q": "Pentagon"}),
        ("/v1/sync", {}),
    ]:
        _english(_listed(client, url, **params))


def test_an_english_article_has_english_names_in_a_ukrainian_feed(
    client: RecordingClient, newsroom: None
) -> None:
    for path in ("/v1/feeds/uk", "/v1/feeds/uk/tags/news"):
        feed = client.get(f"{path}.json").json()
        [item] = [i for i in feed["items"] if i["url"].endswith(ONLY_EN_SLUG)]
        assert item["language"] == "en"
        assert item["tags"] == [ENGLISH["tag"]]
        assert [a["name"] for a in item["authors"]] == [ENGLISH["author"]]
    rss = ET.fromstring(client.get("/v1/feeds/uk.rss").content)
    [entry] = [i for i in rss.iter("item") if i.findtext("link", "").endswith(ONLY_EN_SLUG)]
    assert [c.text for c in entry.iter("category")] == [ENGLISH["tag"]]
    creator = "{http://purl.org/dc/elements/1.1/}creator"
    assert [c.text for c in entry.iter(creator)] == [ENGLISH["author"]]
    atom = ET.fromstring(client.get("/v1/feeds/uk.atom").content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    [entry] = [
        e for e in atom.iterfind("a:entry", ns) if e.findtext("a:title", "", ns).startswith("Dem")
    ]
    assert [c.get("label") for c in entry.iterfind("a:category", ns)] == [ENGLISH["tag"]]
    assert [a.findtext("a:name", "", ns) for a in entry.iterfind("a:author", ns)] == [
        ENGLISH["author"]
    ]


def test_a_name_missing_in_the_response_language_falls_back_as_the_body_does(
    client: RecordingClient, database_url: str, editor_headers: dict[str, str]
) -> None:
    """A Polish original with an English translation, its tag named in Polish and
    Ukrainian only. An English reader gets the English body and the tag's name in the
    original's language, as a body missing in English would be; a Ukrainian reader gets
    the Polish original (no Ukrainian version), named in Polish throughout."""
    settings = Settings(database_url=database_url, site_languages="uk,en,pl")
    with RecordingClient(create_app(settings)) as trilingual:
        make_tag(trilingual, editor_headers, "news", uk="Новини", pl="Wiadomości")
        make_source(trilingual, editor_headers, "pap", en="Polish Press Agency")
        make_article(
            trilingual,
            editor_headers,
            lang="pl",
            tags=["news"],
            citations=[{"source": "pap"}],
            translations=[
                {"lang": "pl", "title": "Wojska NATO", "body": "<p>Wojska.</p>"},
                {"lang": "en", "title": "NATO troops", "body": "<p>Troops.</p>"},
            ],
        )
        for reader, lang, tag in [("en", "en", "Wiadomości"), ("uk", "pl", "Wiadomości")]:
            feed = trilingual.get("/v1/articles", params={"lang": reader})
            [item] = feed.json()["data"]
            assert (item["lang"], item["primary_tag"]["name"]) == (lang, tag), reader
            # Only an English name: every response language falls back to it.
            assert item["sources"][0]["name"] == "Polish Press Agency"
            page = trilingual.get(f"/v1/articles/{item['slug']}")
            assert page.headers["content-language"] == lang
            assert page.json()["tags"][0]["name"] == tag
        assert trilingual.server_errors == []
