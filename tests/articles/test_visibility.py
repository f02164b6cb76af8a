"""Restricted articles (members-only, paid, password-protected at the origin): listed with
title and excerpt, flagged, their body never served by a public endpoint."""

import json
from typing import Any

import feedparser

from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.imports.helpers import article_line, ndjson, post_import

SECRET = "підписникам"  # a word only in the restricted body
BODY = f"<p>Текст лише для {SECRET}: кораблі.</p>"


def _restricted(client: RecordingClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    return make_article(
        client,
        headers,
        visibility="restricted",
        translations=[
            {
                "lang": "uk",
                "title": "Закрита стаття",
                "excerpt": "Короткий виклад для всіх.",
                "body": BODY,
            }
        ],
        **extra,
    )


def test_a_restricted_article_is_listed_flagged_without_its_body(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = _restricted(client, editor_headers)
    assert article["visibility"] == "restricted"
    assert article["translations"][0]["body"] == BODY  # the editor sees it all

    [item] = client.get("/v1/articles", params={"include": "body"}).json()["data"]
    assert (item["title"], item["excerpt"], item["visibility"], item["body"]) == (
        "Закрита стаття",
        "Короткий виклад для всіх.",
        "restricted",
        None,
    )
    read = client.get("/v1/articles/zakryta-stattia")
    assert read.status_code == 200
    assert (read.json()["body"], read.json()["visibility"]) == (None, "restricted")
    assert read.json()["reading_time_minutes"] == 1
    [synced] = client.get("/v1/sync", params={"include": "body"}).json()["data"]
    assert synced["body"] is None
    for url in (
        "/v1/articles/zakryta-stattia",
        "/v1/articles?include=body",
        "/v1/sync?include=body",
    ):
        assert SECRET not in client.get(url).text


def test_search_finds_a_restricted_article_by_title_and_excerpt_only(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    restricted = _restricted(client, editor_headers)
    open_body = "<p>Відкритий текст: кораблі.</p>"
    public = make_article(client, editor_headers, title="Відкрита стаття", body=open_body)

    def found(q: str) -> list[str]:
        response = client.get("/v1/search", params={"q": q, "include": "body"})
        assert response.status_code == 200, response.text
        assert SECRET not in response.text
        return [item["id"] for item in response.json()["data"]]

    assert found(SECRET) == []
    assert found("кораблі") == [public["id"]]
    assert found("стаття") == [public["id"], restricted["id"]]
    assert found("закрита виклад") == [restricted["id"]]  # title + excerpt: every word
    # One word in the title, the other only in the body: not a match for a restricted one.
    assert found("закрита кораблі") == []
    assert found("відкрита кораблі") == [public["id"]]
    hits = client.get("/v1/search", params={"q": "стаття", "include": "body"}).json()["data"]
    assert [hit["body"] for hit in hits] == [open_body, None]


def test_syndication_feeds_carry_only_the_excerpt_of_a_restricted_article(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = _restricted(client, editor_headers)
    for fmt in ("rss", "atom"):
        text = client.get(f"/v1/feeds/uk.{fmt}").text
        assert SECRET not in text
        [entry] = feedparser.parse(text).entries
        assert entry.summary == "Короткий виклад для всіх."
        assert "content" not in entry
    doc = json.loads(client.get("/v1/feeds/uk.json").text)
    [item] = doc["items"]
    assert item["id"] == f"urn:uuid:{article['id']}"
    assert "content_html" not in item
    assert item["content_text"] == item["summary"] == "Короткий виклад для всіх."


def test_restricting_is_a_change_sync_delivers_with_the_body_gone(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Спершу відкрита", body=BODY)
    first = client.get("/v1/sync", params={"include": "body"}).json()
    assert [i["body"] for i in first["data"]] == [BODY]
    etag = client.get("/v1/articles/spershu-vidkryta").headers["etag"]

    url = f"/v1/editor/articles/{article['id']}"
    restricted = client.patch(url, json={"visibility": "restricted"}, headers=editor_headers)
    assert restricted.status_code == 200, restricted.text
    token = first["meta"]["next_sync_token"]
    delta = client.get("/v1/sync", params={"token": token, "include": "body"}).json()
    assert [(i["id"], i["visibility"], i["body"]) for i in delta["data"]] == [
        (article["id"], "restricted", None)
    ]
    assert delta["deleted"] == []
    again = client.get("/v1/articles/spershu-vidkryta", headers={"If-None-Match": etag})
    assert (again.status_code, again.json()["body"]) == (200, None)

    opened = client.patch(url, json={"visibility": "public"}, headers=editor_headers)
    assert opened.status_code == 200
    token = delta["meta"]["next_sync_token"]
    back = client.get("/v1/sync", params={"token": token, "include": "body"}).json()
    assert [i["body"] for i in back["data"]] == [BODY]
    null = client.patch(url, json={"visibility": None}, headers=editor_headers)
    assert [e["field"] for e in null.json()["errors"]] == ["visibility"]


def test_exports_need_a_write_key(
    client: RecordingClient, editor_headers: dict[str, str], reader_headers: dict[str, str]
) -> None:
    _restricted(client, editor_headers)
    assert client.get("/v1/exports").status_code == 401
    assert client.get("/v1/exports", headers=reader_headers).status_code == 403
    export = client.get("/v1/exports", headers=editor_headers)
    _header, line, _trailer = [json.loads(text) for text in export.text.splitlines()]
    assert (line["visibility"], line["translations"][0]["body"]) == ("restricted", BODY)


def test_an_excerpt_made_from_a_restricted_body_is_not_served(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Without an editor's excerpt the excerpt is the start of the body: for a restricted
    article that would be its body, so there is none until it is public again."""
    made = make_article(
        client, editor_headers, title="Без викладу", body=BODY, visibility="restricted"
    )
    given = _restricted(client, editor_headers)

    def excerpts() -> dict[str, str]:
        data = client.get("/v1/articles").json()["data"]
        return {item["id"]: item["excerpt"] for item in data}

    assert excerpts() == {made["id"]: "", given["id"]: "Короткий виклад для всіх."}
    url = f"/v1/editor/articles/{made['id']}"
    for visibility, excerpt in (
        ("public", f"Текст лише для {SECRET}: кораблі."),
        ("restricted", ""),
        ("public", f"Текст лише для {SECRET}: кораблі."),
    ):
        response = client.patch(url, json={"visibility": visibility}, headers=editor_headers)
        assert response.status_code == 200, response.text
        assert excerpts()[made["id"]] == excerpt
    given_url = f"/v1/editor/articles/{given['id']}"
    for visibility in ("public", "restricted"):
        client.patch(given_url, json={"visibility": visibility}, headers=editor_headers)
        assert excerpts()[given["id"]] == "Короткий виклад для всіх."
    # Imports follow the same rule.
    line = article_line(7, visibility="restricted")
    assert post_import(client, editor_headers, ndjson([line]))["created"] == 1
    imported = client.get("/v1/articles", params={"lang": "uk"}).json()["data"]
    assert [(i["title"], i["excerpt"]) for i in imported if i["title"].startswith("Новина")] == [
        ("Новина номер 7", "")
    ]
