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
    assert uk.json()["citations"][0]["source"]["name"] == "Institute for the Study of War"

    en = client.get("/v1/articles/czechia-to-search-for-ammunition")
    assert (en.json()["lang"], en.json()["title"]) == ("en", "Czechia to search for ammunition")
    assert en.json()["id"] == uk.json()["id"] == bilingual["both"]["id"]
    assert [t["lang"] for t in en.json()["translations"]] == ["en", "uk"]
    assert en.json()["citations"][0]["source"]["name"] == "Інститут вивчення війни"

    missing = client.get("/v1/articles/no-such-article")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No published article has the slug 'no-such-article'."
