"""Response language: lang=, then Accept-Language, then the site default; fallback per item."""

from typing import Any

import pytest

from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_source, make_tag


@pytest.fixture
def bilingual(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, Any]:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_source(
        client,
        editor_headers,
        "isw",
        en="Institute for the Study of War",
        uk="Інститут вивчення війни",
    )
    both = make_article(
        client,
        editor_headers,
        published_at=hours_ago(1),
        tags=["news"],
        citations=[{"source": "isw"}],
        translations=[
            {"lang": "uk", "title": "Чехія шукатиме боєприпаси", "excerpt": "Укр."},
            {"lang": "en", "title": "Czechia to search for ammunition", "excerpt": "Eng."},
        ],
    )
    english_only = make_article(
        client,
        editor_headers,
        lang="en",
        title="Democrats call on Pentagon",
        published_at=hours_ago(2),
        tags=["news"],
    )
    return {"both": both, "english_only": english_only}


def _langs_titles(response: Any) -> list[tuple[str, str]]:
    return [(item["lang"], item["title"]) for item in response.json()["data"]]


@pytest.mark.parametrize(
    ("params", "headers", "expected_lang"),
    [
        ({}, {}, "uk"),
        ({"lang": "en"}, {}, "en"),
        ({}, {"Accept-Language": "en-GB,en;q=0.9,uk;q=0.5"}, "en"),
        ({}, {"Accept-Language": "de-DE, fr;q=0.8"}, "uk"),
        ({}, {"Accept-Language": "uk;q=0.4, en;q=0.9"}, "en"),
        ({"lang": "uk"}, {"Accept-Language": "en"}, "uk"),
        ({}, {"Accept-Language": "garbage;;q=x"}, "uk"),
    ],
)
def test_response_language_is_negotiated(
    client: RecordingClient,
    bilingual: dict[str, Any],
    params: dict[str, str],
    headers: dict[str, str],
    expected_lang: str,
) -> None:
    response = client.get("/v1/articles", params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-language"] == expected_lang
    assert "Accept-Language" in response.headers["vary"]
    first = response.json()["data"][0]
    assert first["lang"] == expected_lang
    assert first["tags"][0]["name"] == {"uk": "Новини", "en": "News"}[expected_lang]


def test_untranslated_items_fall_back_to_their_original(
    client: RecordingClient, bilingual: dict[str, Any]
) -> None:
    assert _langs_titles(client.get("/v1/articles", params={"lang": "uk"})) == [
        ("uk", "Чехія шукатиме боєприпаси"),
        ("en", "Democrats call on Pentagon"),
    ]
    only = client.get("/v1/articles", params={"lang": "uk", "only_translated": "true"})
    assert _langs_titles(only) == [("uk", "Чехія шукатиме боєприпаси")]
    # A language the site does not have is the client's mistake (issue 14): a 400.
    unknown = client.get("/v1/articles", params={"lang": "pl"})
    assert unknown.status_code == 400
    assert unknown.json()["detail"] == "lang 'pl' is not one of this site's languages: uk, en."


def test_items_list_every_translation(client: RecordingClient, bilingual: dict[str, Any]) -> None:
    item = client.get("/v1/articles", params={"lang": "en"}).json()["data"][0]
    assert item["translations"] == [
        {
            "lang": "en",
            "slug": "czechia-to-search-for-ammunition",
            "url": "https://example.com/en/czechia-to-search-for-ammunition",
        },
        {
            "lang": "uk",
            "slug": "chekhiia-shukatyme-boieprypasy",
            "url": "https://example.com/uk/chekhiia-shukatyme-boieprypasy",
        },
    ]


def test_article_by_a_slug_of_either_language(
    client: RecordingClient, bilingual: dict[str, Any]
) -> None:
    uk = client.get(
        "/v1/articles/chekhiia-shukatyme-boieprypasy", headers={"Accept-Language": "en"}
    )
    assert uk.status_code == 200
    assert uk.headers["content-language"] == "uk"
    assert (uk.json()["lang"], uk.json()["title"]) == ("uk", "Чехія шукатиме боєприпаси")
    # Names follow the translation served (Content-Language), not the reader (issue 20).
    assert uk.json()["citations"][0]["source"]["name"] == "Інститут вивчення війни"

    en = client.get("/v1/articles/czechia-to-search-for-ammunition")
    assert (en.json()["lang"], en.json()["title"]) == ("en", "Czechia to search for ammunition")
    assert en.json()["id"] == uk.json()["id"] == bilingual["both"]["id"]
    assert [t["lang"] for t in en.json()["translations"]] == ["en", "uk"]
    assert en.json()["citations"][0]["source"]["name"] == "Institute for the Study of War"

    missing = client.get("/v1/articles/no-such-article")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No published article has the slug 'no-such-article'."


# ---- one negotiation for the cache and the routes (issue 16 finding 2, issue 14) ---------


@pytest.mark.parametrize("path", ["/v1/articles", "/v1/tags", "/v1/articles/{slug}"])
def test_repeated_accept_language_lines_cannot_poison_the_cache(
    client: RecordingClient, bilingual: dict[str, Any], path: str
) -> None:
    """Finding 2: the cache key joined repeated Accept-Language lines (`en;q=0.1, uk` ->
    uk) while the route read the first (-> en): one request made every Ukrainian reader
    of the URL get English until the next write. Both now read every line."""
    url = path.replace("{slug}", "czechia-to-search-for-ammunition")
    lines = [("Accept-Language", "en;q=0.1"), ("Accept-Language", "uk")]
    repeated = client.get(url, headers=lines)
    assert repeated.status_code == 200
    assert repeated.headers["content-language"] == ("en" if "{slug}" in path else "uk")
    plain = client.get(url, headers={"Accept-Language": "uk"})
    fresh_english = client.get(url, headers={"Accept-Language": "en"})
    assert plain.headers["content-language"] == repeated.headers["content-language"]
    assert plain.content == repeated.content
    if "{slug}" not in path:
        assert fresh_english.headers["content-language"] == "en"
        assert fresh_english.content != plain.content
    assert (
        client.get(url, headers=lines[::-1]).headers["content-language"]
        == (repeated.headers["content-language"])
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("uk-UA", "uk"), ("en-GB", "en"), ("EN", "en"), ("uk-Cyrl-UA", "uk"), ("en-x-twain", "en")],
)
def test_lang_is_looked_up_among_the_site_languages_like_accept_language(
    client: RecordingClient, bilingual: dict[str, Any], lang: str, expected: str
) -> None:
    """`?lang=uk-UA` (what navigator.language gives) served English originals with
    Content-Language: uk-ua; it is now the BCP 47 lookup Accept-Language gets."""
    response = client.get("/v1/articles", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-language"] == expected
    assert response.json()["data"][0]["lang"] == expected
    header = client.get("/v1/articles", headers={"Accept-Language": lang})
    assert header.content == response.content


def _lang_endpoints(client: RecordingClient) -> list[tuple[str, dict[str, str]]]:
    spec = client.get("/openapi.json").json()
    found = []
    for path, item in sorted(spec["paths"].items()):
        get = item.get("get")
        if get is None or {"name": "lang", "in": "query"} not in [
            {"name": p["name"], "in": p["in"]} for p in get.get("parameters", [])
        ]:
            continue
        assert "400" in get["responses"], f"{path} does not document its 400"
        url = path.replace("{slug}", "news")
        found.append((url, {"q": "Чехія"} if path == "/v1/search" else {}))
    return found


@pytest.mark.parametrize("lang", ["de", "pl", "tlh", "ukr", "de-UA"])
def test_a_lang_outside_the_site_languages_is_a_400_on_every_endpoint_that_takes_it(
    client: RecordingClient, bilingual: dict[str, Any], lang: str
) -> None:
    endpoints = _lang_endpoints(client)
    assert [path for path, _ in endpoints] == [
        "/v1/articles",
        "/v1/articles/news",
        "/v1/articles/news/related",
        "/v1/authors",
        "/v1/authors/news",
        "/v1/pages",
        "/v1/pages/news",
        "/v1/search",
        "/v1/sources",
        "/v1/sources/news",
        "/v1/sync",
        "/v1/tags",
        "/v1/tags/news",
    ]
    for path, params in endpoints:
        response = client.get(path, params={**params, "lang": lang})
        assert response.status_code == 400, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == (
            f"lang '{lang}' is not one of this site's languages: uk, en."
        )
        assert response.json()["errors"] == [{"field": "lang", "message": "Allowed: uk, en."}]
    # A feed's language is part of its URL: one the site lacks is a feed that does not exist.
    feed = client.get(f"/v1/feeds/{lang}.rss")
    assert feed.status_code == 404
    assert feed.json()["detail"] == f"No feeds in '{lang.lower()}'; there are feeds in uk, en."


def test_site_languages_is_a_setting(
    database_url: str, bilingual: dict[str, Any], client: RecordingClient
) -> None:
    from app.core.config import Settings
    from app.main import create_app

    settings = Settings(database_url=database_url, site_languages="uk,en,pl")
    with RecordingClient(create_app(settings)) as trilingual:
        response = trilingual.get("/v1/articles", params={"lang": "pl-PL"})
        assert response.status_code == 200
        assert response.headers["content-language"] == "pl"
        # Untranslated into Polish: each item in its original, as any fallback.
        assert [item["lang"] for item in response.json()["data"]] == ["uk", "en"]
        assert trilingual.get("/v1/feeds/pl.rss").status_code == 200
        assert trilingual.get("/v1/articles", params={"lang": "de"}).status_code == 400


def test_article_by_slug_honours_an_explicit_lang(
    client: RecordingClient, bilingual: dict[str, Any]
) -> None:
    """`GET /v1/articles/{slug}?lang=en` ignored lang: it now serves the English
    translation when there is one, else the slug's, as without lang."""
    slug = "chekhiia-shukatyme-boieprypasy"
    en = client.get(f"/v1/articles/{slug}", params={"lang": "en"})
    assert en.status_code == 200
    assert en.headers["content-language"] == "en"
    assert (en.json()["lang"], en.json()["title"]) == ("en", "Czechia to search for ammunition")
    assert en.json()["slug"] == "czechia-to-search-for-ammunition"
    uk = client.get(f"/v1/articles/{slug}", params={"lang": "uk-UA"})
    assert (uk.json()["lang"], uk.json()["title"]) == ("uk", "Чехія шукатиме боєприпаси")
    # Without lang, Accept-Language still does not override the slug's translation.
    assert (
        client.get(f"/v1/articles/{slug}", headers={"Accept-Language": "en"}).json()["lang"] == "uk"
    )
    # No Ukrainian version: the slug's (English) one, named as such.
    only = client.get("/v1/articles/democrats-call-on-pentagon", params={"lang": "uk"})
    assert only.status_code == 200
    assert only.headers["content-language"] == "en"
    assert only.json()["lang"] == "en"
    # Its names in its language too: one language per response (issue 20).
    assert only.json()["tags"][0]["name"] == "News"
