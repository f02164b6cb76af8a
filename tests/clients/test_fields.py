"""Sparse list items (`fields=`) and embedded bodies (`include=body`)."""

from typing import Any

from tests.conftest import RecordingClient
from tests.factories import make_article, make_tag

ALL_FIELDS = {
    "id", "lang", "slug", "title", "excerpt", "published_at", "updated_at",
    "primary_tag", "tags", "sources", "translations", "cover_image", "visibility",
    "authors", "featured",
}  # fmt: skip


def _articles(client: RecordingClient, editor_headers: dict[str, str]) -> list[dict[str, Any]]:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    return [
        make_article(
            client, editor_headers, title=f"Стаття {n}", tags=["news"], body=f"<p>Тіло {n}.</p>"
        )
        for n in range(3)
    ]


def test_fields_shrink_the_feed_to_the_named_fields(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    articles = _articles(client, editor_headers)
    full = client.get("/v1/articles")
    sparse = client.get("/v1/articles", params={"fields": "id,title,published_at"})
    assert sparse.status_code == 200
    assert [set(item) for item in full.json()["data"]] == [ALL_FIELDS] * 3
    assert sparse.json()["data"] == [
        {"id": item["id"], "title": item["title"], "published_at": item["published_at"]}
        for item in full.json()["data"]
    ]
    assert sparse.json()["meta"] == full.json()["meta"]
    assert len(sparse.content) < len(full.content) // 2
    assert {item["id"] for item in sparse.json()["data"]} == {a["id"] for a in articles}
    # Spaces and repeats are forgiven; order in the JSON follows the schema.
    again = client.get("/v1/articles", params={"fields": " title , id,id"})
    assert [list(item) for item in again.json()["data"]] == [["id", "title"]] * 3


def test_unknown_fields_are_a_400_naming_them(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    _articles(client, editor_headers)
    response = client.get("/v1/articles", params={"fields": "id,titel,secret"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("Unknown fields: 'titel', 'secret'. Known fields: id, lang")
    assert problem["errors"] == [
        {"field": "fields", "message": "Unknown field 'titel'."},
        {"field": "fields", "message": "Unknown field 'secret'."},
    ]
    assert client.get("/v1/articles", params={"fields": ","}).status_code == 400
    # `body` is a list field only when asked for.
    assert client.get("/v1/articles", params={"fields": "id,body"}).status_code == 400


def test_include_body_adds_bodies_and_only_then(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    _articles(client, editor_headers)
    plain = client.get("/v1/articles").json()["data"]
    assert all("body" not in item for item in plain)
    with_body = client.get("/v1/articles", params={"include": "body"}).json()["data"]
    assert [item["body"] for item in with_body] == [f"<p>Тіло {n}.</p>" for n in (2, 1, 0)]
    assert [set(item) for item in with_body] == [ALL_FIELDS | {"body"}] * 3
    sparse = client.get("/v1/articles", params={"include": "body", "fields": "id"}).json()["data"]
    assert [set(item) for item in sparse] == [{"id", "body"}] * 3
    assert client.get("/v1/articles", params={"include": "bodies"}).status_code == 422
