"""Cover images with metadata, SEO fields, canonical URLs and reading time: written through
the editor API and imports, read back localized, and every URL field checked."""

import json
from typing import Any

import pytest

from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.imports.helpers import article_line, ndjson, post_import

COVER = {"url": "https://img.example/ship.jpg", "width": 1200, "height": 675}
UK = {
    "lang": "uk",
    "title": "Кораблі вийшли з порту",
    "excerpt": "Коридор працює.",
    "body": "<p>Кораблі вийшли з порту.</p>",
    "cover_alt": "Суховантаж у порту Одеси",
    "cover_caption": "Суховантаж виходить з порту",
    "cover_credit": "Фото: Укрінформ",
    "meta_title": "Кораблі вийшли — SEO",
    "meta_description": "Опис для пошукових систем.",
    "og_image": "https://img.example/ship-social.jpg",
}
EN = {"lang": "en", "title": "Ships left the port", "body": "<p>Ships sailed.</p>"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


def test_the_cover_comes_with_size_and_text_in_the_item_language(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(
        client,
        editor_headers,
        cover_image=COVER,
        canonical_url="https://origin.example/ships",
        translations=[UK, EN],
    )
    assert article["cover_image"] == COVER
    assert article["canonical_url"] == "https://origin.example/ships"
    assert article["translations"][1]["cover_alt"] == "Суховантаж у порту Одеси"

    uk_item = client.get("/v1/articles", params={"lang": "uk"}).json()["data"][0]
    assert uk_item["cover_image"] == {
        **COVER,
        "alt": "Суховантаж у порту Одеси",
        "caption": "Суховантаж виходить з порту",
        "credit": "Фото: Укрінформ",
    }
    assert uk_item["visibility"] == "public"
    en_item = client.get("/v1/articles", params={"lang": "en"}).json()["data"][0]
    assert en_item["cover_image"] == {**COVER, "alt": None, "caption": None, "credit": None}

    uk = client.get("/v1/articles/korabli-vyishly-z-portu").json()
    assert uk["seo"] == {
        "meta_title": "Кораблі вийшли — SEO",
        "meta_description": "Опис для пошукових систем.",
        "og_image": "https://img.example/ship-social.jpg",
    }
    assert uk["canonical_url"] == "https://origin.example/ships"
    # No SEO fields in English: the title, the excerpt and the cover stand in.
    en = client.get("/v1/articles/ships-left-the-port").json()
    assert en["seo"] == {
        "meta_title": "Ships left the port",
        "meta_description": "Ships sailed.",
        "og_image": "https://img.example/ship.jpg",
    }


def test_without_a_cover_og_image_falls_back_to_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_article(client, editor_headers, title="Без обкладинки")
    article = client.get("/v1/articles/bez-obkladynky").json()
    assert (article["cover_image"], article["seo"]["og_image"]) == (None, None)
    assert client.get("/v1/articles").json()["data"][0]["cover_image"] is None


@pytest.mark.parametrize(
    ("body", "minutes"),
    [
        ("", 0),
        ("<p>Слово.</p>", 1),
        ("<p>" + "слово " * 200 + "</p>", 1),
        ("<p>" + "слово " * 201 + "</p>", 2),
        # Markup and attributes are not words; text in every element is.
        ('<p><a href="https://example.org/a/b/c">' + "x " * 399 + "</a><em>y</em></p>", 2),
        ("<h3>" + "a " * 300 + "</h3><ul><li>" + "b " * 101 + "</li></ul>", 3),
    ],
)
def test_reading_time_is_words_over_200_rounded_up(
    client: RecordingClient, editor_headers: dict[str, str], body: str, minutes: int
) -> None:
    make_article(client, editor_headers, title="Час читання", body=body)
    assert client.get("/v1/articles/chas-chytannia").json()["reading_time_minutes"] == minutes


BAD_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:image/png;base64,iVBORw0KGgo=",
    "ftp://files.example/a.jpg",
    "//img.example/a.jpg",
    "/relative/a.jpg",
    "https://img.example/a b.jpg",
]
URL_FIELDS = [
    ({"cover_image": {"url": "{}"}}, "cover_image.url"),
    ({"cover_image_url": "{}"}, "cover_image_url"),
    ({"canonical_url": "{}"}, "canonical_url"),
]


@pytest.mark.parametrize("bad", BAD_URLS)
def test_every_url_field_rejects_what_is_not_http(
    client: RecordingClient, editor_headers: dict[str, str], bad: str
) -> None:
    base = {"original_lang": "uk", "translations": [{"lang": "uk", "title": "Т"}]}
    created = make_article(client, editor_headers, title="Ціль")
    url = f"/v1/editor/articles/{created['id']}"
    for template, field in URL_FIELDS:
        payload = {k: _fill(v, bad) for k, v in template.items()}
        for response in (
            client.post("/v1/editor/articles", json={**base, **payload}, headers=editor_headers),
            client.patch(url, json=payload, headers=editor_headers),
        ):
            errors = _problem(response, 422)["errors"]
            assert [e["field"] for e in errors] == [field], (payload, errors)
    og = {"lang": "uk", "title": "Т", "og_image": bad}
    body = _problem(
        client.post(
            "/v1/editor/articles",
            json={**base, "translations": [og]},
            headers=editor_headers,
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["translations[0].og_image"]
    put = client.put(
        f"{url}/translations/en", json={"title": "T", "og_image": bad}, headers=editor_headers
    )
    assert [e["field"] for e in _problem(put, 422)["errors"]] == ["og_image"]
    line = article_line(1, cover_image={"url": bad, "width": 10, "height": 10})
    report = post_import(client, editor_headers, ndjson([line]))
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(1, "cover_image.url")]
    stored = client.get(url, headers=editor_headers).json()
    assert (stored["cover_image"], stored["canonical_url"], stored["version"]) == (None, None, 1)


def _fill(value: Any, bad: str) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, bad) for k, v in value.items()}
    return bad if value == "{}" else value


def test_cover_sizes_must_be_positive_and_the_two_cover_forms_exclusive(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    base = {"original_lang": "uk", "translations": [{"lang": "uk", "title": "Т"}]}
    for cover, field in (
        ({"url": COVER["url"], "width": 0}, "cover_image.width"),
        ({"url": COVER["url"], "height": -5}, "cover_image.height"),
        ({"url": COVER["url"], "height": "wide"}, "cover_image.height"),
        ({"width": 10}, "cover_image.url"),
        ({"url": COVER["url"], "alt": "x"}, "cover_image.alt"),  # alt is per translation
    ):
        response = client.post(
            "/v1/editor/articles", json={**base, "cover_image": cover}, headers=editor_headers
        )
        assert [e["field"] for e in _problem(response, 422)["errors"]] == [field]
    both = {**base, "cover_image": COVER, "cover_image_url": COVER["url"]}
    response = client.post("/v1/editor/articles", json=both, headers=editor_headers)
    [error] = _problem(response, 422)["errors"]
    assert error == {
        "field": "cover_image_url",
        "message": "Value error, Give cover_image or cover_image_url, not both.",
    }
    assert client.get("/v1/articles").json()["data"] == []


def test_patching_the_cover_replaces_or_removes_it_and_the_old_field_still_works(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Обкладинка", cover_image=COVER)
    url = f"/v1/editor/articles/{article['id']}"

    def patch(body: dict[str, Any]) -> Any:
        response = client.patch(url, json=body, headers=editor_headers)
        assert response.status_code == 200, response.text
        return response.json()["cover_image"]

    assert patch({"canonical_url": "https://origin.example/a"}) == COVER  # untouched
    assert patch({"cover_image_url": "https://img.example/old-style.jpg"}) == {
        "url": "https://img.example/old-style.jpg",
        "width": None,
        "height": None,
    }
    assert patch({"cover_image": {**COVER, "width": 640}}) == {**COVER, "width": 640}
    public = client.get("/v1/articles").json()["data"][0]["cover_image"]
    assert public == {**COVER, "width": 640, "alt": None, "caption": None, "credit": None}
    assert patch({"cover_image": None}) is None
    assert client.get("/v1/articles").json()["data"][0]["cover_image"] is None
    assert patch({"cover_image_url": None}) is None
    cleared = client.patch(url, json={"canonical_url": None}, headers=editor_headers).json()
    assert cleared["canonical_url"] is None


def test_replacing_a_translation_sets_its_image_text_and_seo_and_the_etag_follows(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, cover_image=COVER, translations=[UK])
    first = client.get("/v1/articles/korabli-vyishly-z-portu")
    etag = first.headers["etag"]
    assert (
        client.get(
            "/v1/articles/korabli-vyishly-z-portu", headers={"If-None-Match": etag}
        ).status_code
        == 304
    )

    replaced = client.put(
        f"/v1/editor/articles/{article['id']}/translations/uk",
        json={"title": UK["title"], "body": UK["body"], "cover_alt": "Інший опис"},
        headers=editor_headers,
    )
    assert replaced.status_code == 200, replaced.text
    again = client.get("/v1/articles/korabli-vyishly-z-portu", headers={"If-None-Match": etag})
    assert again.status_code == 200
    # What the new version leaves out is gone: a translation is replaced whole.
    assert again.json()["cover_image"] == {
        **COVER,
        "alt": "Інший опис",
        "caption": None,
        "credit": None,
    }
    assert again.json()["seo"]["meta_title"] == UK["title"]


def test_new_fields_can_be_picked_with_fields(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_article(client, editor_headers, cover_image=COVER, translations=[UK])
    response = client.get("/v1/articles", params={"fields": "id,cover_image,visibility"})
    assert response.status_code == 200, response.text
    [item] = response.json()["data"]
    assert set(item) == {"id", "cover_image", "visibility"}
    assert item["cover_image"]["alt"] == "Суховантаж у порту Одеси"


def test_imports_take_the_new_fields_and_the_old_cover_field(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    new_style = article_line(
        1,
        status="published",
        published_at="2024-06-01T10:00:00+00:00",
        cover_image=COVER,
        canonical_url="https://origin.example/1",
    )
    new_style["translations"][0].update(
        cover_alt="Alt", cover_caption="Caption", cover_credit="Credit", meta_title="Meta"
    )
    old_style = article_line(
        2,
        status="published",
        published_at="2024-06-02T10:00:00+00:00",
        cover_image_url="https://img.example/old.jpg",
    )
    report = post_import(client, editor_headers, ndjson([new_style, old_style]))
    assert (report["created"], report["errors"]) == (2, [])
    items = client.get("/v1/articles", params={"lang": "uk"}).json()["data"]
    assert [item["cover_image"] for item in items] == [
        {"url": "https://img.example/old.jpg", "width": None, "height": None}
        | {"alt": None, "caption": None, "credit": None},
        {**COVER, "alt": "Alt", "caption": "Caption", "credit": "Credit"},
    ]
    export = client.get("/v1/exports", headers=editor_headers).text
    # The export opens with a header line and closes with a trailer: articles between.
    exported = [json.loads(line)["cover_image"] for line in export.splitlines()[1:-1]]
    assert sorted(exported, key=lambda c: c["url"]) == [
        {"url": "https://img.example/old.jpg", "width": None, "height": None},
        COVER,
    ]
