"""Malformed and oversized input: each gets a clear 4xx problem+json and stores nothing."""

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.models import Article, Tag, TagName
from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.reliability.conftest import baseline_request, public_get_operations

ARTICLE = {
    "original_lang": "uk",
    "status": "published",
    "translations": [{"lang": "uk", "title": "Заголовок", "body": "<p>Т</p>"}],
}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


def _articles(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Article)) or 0)


@pytest.mark.parametrize("limit", ["0", "-1", "-99999999999999999999", "101", "1e3", "2.5", "x"])
def test_every_limit_out_of_range_is_a_422(
    app: FastAPI, client: RecordingClient, limit: str
) -> None:
    listings = [
        baseline_request(path, op, {"q": "новини"})
        for path, op in public_get_operations(app.openapi())
        if any(p["name"] == "limit" for p in op.get("parameters", []))
    ]
    assert "/v1/articles" in [url for url, _ in listings]
    for url, query in listings:
        body = _problem(client.get(url, params={**query, "limit": limit}), 422)
        assert [e["field"] for e in body["errors"]] == ["limit"]
    big = "9" * 5000  # past Python's int-parsing limit for strings
    _problem(client.get("/v1/articles", params={"limit": big}), 422)


def test_a_10_mb_title_is_a_413_and_an_overlong_one_a_422(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    huge = {**ARTICLE, "translations": [{"lang": "uk", "title": "ж" * 5_000_000}]}
    body = _problem(client.post("/v1/editor/articles", json=huge, headers=editor_headers), 413)
    assert body["detail"] == "The request body exceeds the limit of 2000000 bytes."
    long = {**ARTICLE, "translations": [{"lang": "uk", "title": "ж" * 1001}]}
    body = _problem(client.post("/v1/editor/articles", json=long, headers=editor_headers), 422)
    assert body["errors"][0]["field"] == "translations[0].title"
    assert _articles(db) == 0


@pytest.mark.parametrize(
    ("where", "payload"),
    [
        ("translations[0].title", {**ARTICLE, "translations": [{"lang": "uk", "title": "a\x00"}]}),
        (
            "translations[0].body",
            {**ARTICLE, "translations": [{"lang": "uk", "title": "t", "body": "<p>\x00</p>"}]},
        ),
        (
            "translations[0].excerpt",
            {**ARTICLE, "translations": [{"lang": "uk", "title": "t", "excerpt": "\x00"}]},
        ),
        ("external_id", {**ARTICLE, "external_id": "id\x00"}),
    ],
)
def test_nul_characters_in_article_text_are_a_422_and_never_reach_the_database(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine, where: str, payload: Any
) -> None:
    body = _problem(client.post("/v1/editor/articles", json=payload, headers=editor_headers), 422)
    assert body["errors"] == [
        {"field": where, "message": "Value error, NUL characters (U+0000) are not allowed."}
    ]
    assert _articles(db) == 0


def test_nul_characters_elsewhere_are_a_422(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    article = make_article(client, editor_headers)
    url = f"/v1/editor/articles/{article['id']}"
    tag = {"slug": "news", "names": {"uk": "Нови\x00ни"}}
    _problem(client.post("/v1/editor/tags", json=tag, headers=editor_headers), 422)
    translation = {"title": "x", "body": "\x00"}
    _problem(client.put(f"{url}/translations/en", json=translation, headers=editor_headers), 422)
    nul = "NUL characters (U+0000) are not allowed."
    assert _problem(client.get("/v1/articles/a%00b"), 422)["errors"] == [
        {"field": "path", "message": nul}
    ]
    cursor = client.get("/v1/articles", params={"cursor": "a\x00", "tag": "x"})
    assert _problem(cursor, 422)["errors"] == [{"field": "cursor", "message": nul}]
    _problem(client.get("/v1/tags?lang=%00"), 422)
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(Tag)) == 0
        assert session.scalar(select(func.count()).select_from(TagName)) == 0
    assert client.get(url, headers=editor_headers).json()["translations"] == article["translations"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"original_lang": "uk", "translations": [{"lang": "uk", "title": "\xff\xfe"}]}',
        b"\xef\xbb\xbf\xc3\x28",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"original_lang": "uk", "translations": [], "tags": [' + b"9" * 5000 + b"]}",
    ],
    ids=["invalid-utf8-in-string", "invalid-utf8", "nested-arrays", "nested-objects", "huge-int"],
)
def test_undecodable_or_absurd_json_is_a_400(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine, raw: bytes
) -> None:
    headers = {**editor_headers, "Content-Type": "application/json"}
    body = _problem(client.post("/v1/editor/articles", content=raw, headers=headers), 400)
    assert body["detail"] == "There was an error parsing the body"
    assert _articles(db) == 0


@pytest.mark.parametrize(
    ("published_at", "field"),
    [
        ("0001-01-01T00:00:00+14:00", "published_at"),
        ("9999-12-31T23:59:59-14:00", "published_at"),
        (0, "published_at"),
        (1e300, "published_at"),
        (True, "published_at"),
        ("2026-01-01T00:00:00", "published_at"),
        ("not a date", "published_at"),
    ],
)
def test_impossible_dates_are_a_422(
    client: RecordingClient,
    editor_headers: dict[str, str],
    db: Engine,
    published_at: Any,
    field: str,
) -> None:
    payload = {**ARTICLE, "published_at": published_at}
    body = _problem(client.post("/v1/editor/articles", json=payload, headers=editor_headers), 422)
    assert [e["field"] for e in body["errors"]] == [field]
    assert _articles(db) == 0


def test_huge_numbers_and_wrong_types_are_a_422(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    headers = {**editor_headers, "Content-Type": "application/json"}
    for citations in ('[{"source": "x", "via": 1e400}]', '[{"source": "x", "via": -1}]', '"many"'):
        raw = f'{{"original_lang": "uk", "translations": [], "citations": {citations}}}'
        post = client.post("/v1/editor/articles", content=raw.encode(), headers=headers)
        assert "citations" in {e["field"].split("[")[0] for e in _problem(post, 422)["errors"]}
    # A long or garbled Accept-Language is read leniently, never an error.
    for header in ("en," * 1000, "x" * 5000 + ", de;q=2, *;q=x, ;;;, en-GB;q=0.5"):
        response = client.get("/v1/tags", headers={"Accept-Language": header})
        assert (response.status_code, response.headers["Content-Language"]) == (200, "en"), header
    assert _articles(db) == 0


def test_a_405_names_every_method_the_path_has(client: RecordingClient) -> None:
    response = client.put("/v1/editor/articles/3fa85f64-5717-4562-b3fc-2c963f66afa6")
    _problem(response, 405)
    # HEAD is answered wherever GET is (DopysAPI), so it is listed too.
    assert response.headers["Allow"] == "DELETE, GET, HEAD, PATCH"
    assert client.post("/v1/articles").headers["Allow"] == "GET, HEAD"
    assert client.head("/v1/articles").status_code == 200


def test_fields_that_may_be_left_out_but_not_nulled_are_a_422_for_null(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers)
    for field in ("status", "original_lang", "external_id"):
        response = client.patch(
            f"/v1/editor/articles/{article['id']}", json={field: None}, headers=editor_headers
        )
        assert _problem(response, 422)["errors"] == [
            {"field": field, "message": "May not be null."}
        ]
