"""POST /v1/imports: upsert by external_id, created / updated / unchanged."""

import json

from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import RecordingClient
from tests.factories import make_article, walk_feed
from tests.imports.helpers import article_line, counts, ndjson, post_import


def test_import_creates_articles_with_tags_and_both_translations(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = post_import(client, editor_headers, ndjson(article_line(n) for n in range(3)))

    assert report == {
        "created": 3, "updated": 0, "unchanged": 0, "failed": 0,
        "errors": [], "errors_omitted": 0, "dry_run": False,
        "format": "ndjson", "items": 3,
        "kinds": {
            "article": {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
        },
        "skipped": 0, "skipped_items": [], "notes": [], "remarks": [],
        "truncated": False,
    }  # fmt: skip
    # The slug's (Ukrainian) translation, its names in Ukrainian too (issue 20): an
    # explicit `lang=en` would serve the English translation (issue 14), Accept-Language
    # does not.
    article = client.get("/v1/articles/novyna-nomer-1", headers={"Accept-Language": "en"}).json()
    assert article["title"] == "Новина номер 1"
    assert article["lang"] == "uk"
    assert article["body"] == "<p>Текст 1.</p>"
    assert article["excerpt"] == "Текст 1."
    assert article["published_at"] == "2024-07-01T10:01:00Z"
    assert article["tags"] == [{"slug": "news", "name": "Новини", "kind": "topic"}]
    assert {t["lang"]: t["slug"] for t in article["translations"]} == {
        "en": "news-number-1",
        "uk": "novyna-nomer-1",
    }
    assert client.get("/v1/tags/news", params={"lang": "uk"}).json()["names"] == {
        "en": "News",
        "uk": "Новини",
    }


def test_rerunning_a_file_reports_all_unchanged_and_changes_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    body = ndjson(article_line(n) for n in range(5))
    post_import(client, editor_headers, body)
    before = client.get("/v1/articles", params={"limit": 100}).json()

    again = post_import(client, editor_headers, body)

    assert counts(again) == (0, 0, 5, 0)
    assert client.get("/v1/articles", params={"limit": 100}).json() == before
    assert len(walk_feed(client, limit=2)) == 5


def test_a_changed_line_updates_only_its_article(
    client: RecordingClient, editor_headers: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    post_import(client, editor_headers, ndjson(article_line(n) for n in range(3)))
    changed = article_line(1, status="draft", tags=["world", "news"])
    changed["translations"][0]["title"] = "Новина змінена"

    report = post_import(
        client, editor_headers, ndjson([article_line(0), changed, article_line(2)])
    )

    assert counts(report) == (0, 1, 2, 0)
    assert client.get("/v1/articles/novyna-nomer-1").status_code == 404  # now a draft
    editor = _editor_view(client, editor_headers, "wire-1")
    assert editor["version"] == 2
    assert editor["status"] == "draft"
    assert editor["tags"] == ["world", "news"]
    # The title changed and no slug was given: a new slug, as the editor API would make.
    assert [(t["lang"], t["title"], t["slug"]) for t in editor["translations"]] == [
        ("en", "News number 1", "news-number-1"),
        ("uk", "Новина змінена", "novyna-zminena"),
    ]
    assert client.get("/v1/tags/world").json()["names"] == {}


def test_an_edit_in_the_editor_makes_the_next_import_restore_the_line(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    post_import(client, editor_headers, ndjson([article_line(7)]))
    article_id = _editor_view(client, editor_headers, "wire-7")["id"]
    edited = client.patch(
        f"/v1/editor/articles/{article_id}", json={"status": "draft"}, headers=editor_headers
    )
    assert edited.status_code == 200, edited.text

    report = post_import(client, editor_headers, ndjson([article_line(7)]))

    assert counts(report) == (0, 1, 0, 0)
    assert _editor_view(client, editor_headers, "wire-7")["status"] == "published"
    assert counts(post_import(client, editor_headers, ndjson([article_line(7)]))) == (0, 0, 1, 0)


def test_dry_run_reports_what_would_happen_and_writes_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    post_import(client, editor_headers, ndjson([article_line(1)]))
    changed = article_line(1, status="draft")
    body = ndjson([changed, article_line(2), {"external_id": "x", "translations": []}])

    report = post_import(client, editor_headers, body, dry_run="true")

    assert counts(report) == (1, 1, 0, 1)
    assert report["dry_run"] is True
    message = "List should have at least 1 item after validation, not 0"
    assert report["errors"] == [{"line": 3, "field": "translations", "message": message}]
    assert walk_feed(client, limit=10) == [_editor_view(client, editor_headers, "wire-1")["id"]]
    assert client.get("/v1/tags").json()["data"][0]["slug"] == "news"
    assert client.get("/v1/articles/novyna-nomer-2").status_code == 404


def test_tags_and_sources_are_created_when_missing_and_citations_keep_via(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    line = article_line(
        1,
        tags=["news", {"slug": "world", "names": {"uk": "Світ"}}],
        citations=[
            {
                "source": {
                    "slug": "tv-chosun",
                    "names": {"en": "TV Chosun"},
                    "kind": "broadcaster",
                },
                "url": "https://example.org/chosun",
            },
            {
                "source": {
                    "slug": "isw",
                    "names": {"en": "ISW", "uk": "ISW"},
                    "kind": "think_tank",
                    "homepage_url": "https://www.understandingwar.org/",
                },
                "url": "https://example.org/isw",
                "via": 0,
            },
            {"source": "isw", "via": 1},
        ],
    )

    assert counts(post_import(client, editor_headers, ndjson([line]))) == (1, 0, 0, 0)

    article = client.get("/v1/articles/news-number-1", params={"lang": "en"}).json()
    assert article["tags"] == [
        {"slug": "news", "name": "news", "kind": "topic"},
        {"slug": "world", "name": "Світ", "kind": "topic"},
    ]
    cited = [(c["position"], c["source"]["slug"], c["url"], c["via"]) for c in article["citations"]]
    assert cited == [
        (0, "tv-chosun", "https://example.org/chosun", None),
        (1, "isw", "https://example.org/isw", 0),
        (2, "isw", None, 1),
    ]
    assert article["citations"][1]["source"] == {
        "slug": "isw",
        "name": "ISW",
        "kind": "think_tank",
        "homepage_url": "https://www.understandingwar.org/",
    }


def test_html_is_sanitized_on_import(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    dirty = (
        '<p onclick="steal()">Hi<script>alert(1)</script>'
        '<img src="https://example.org/a.png" onerror="alert(2)">'
        '<a href="javascript:alert(3)">x</a></p>'
    )
    line = article_line(1, translations=[{"lang": "uk", "title": "Брудне", "body": dirty}])

    post_import(client, editor_headers, ndjson([line]))

    body = client.get("/v1/articles/brudne").json()["body"]
    assert (
        body == '<p>Hi<img src="https://example.org/a.png"><a rel="noopener noreferrer">x</a></p>'
    )


def test_a_line_without_external_id_upserts_by_its_id(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    made = make_article(client, editor_headers, title="Редакційна")
    line = article_line(1, id=made["id"], external_id=None)
    line["translations"] = [{"lang": "uk", "title": "Редакційна", "body": "<p>Нове.</p>"}]

    report = post_import(client, editor_headers, ndjson([line]))

    assert counts(report) == (0, 1, 0, 0)
    article = client.get("/v1/articles/redaktsiina").json()
    assert (article["id"], article["body"]) == (made["id"], "<p>Нове.</p>")
    assert counts(post_import(client, editor_headers, ndjson([line]))) == (0, 0, 1, 0)


def test_imports_need_a_write_key_and_ndjson(
    client: RecordingClient, editor_headers: dict[str, str], reader_headers: dict[str, str]
) -> None:
    body = ndjson([article_line(1)])
    assert client.post("/v1/imports", content=body).status_code == 401
    assert client.post("/v1/imports", content=body, headers=reader_headers).status_code == 403
    wrong = client.post(
        "/v1/imports",
        content=body,
        headers={**editor_headers, "Content-Type": "application/xml"},
    )
    assert wrong.status_code == 415
    assert wrong.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/exports").status_code == 401
    assert client.get("/v1/exports", headers=reader_headers).status_code == 403


def _editor_view(client: RecordingClient, headers: dict[str, str], external_id: str) -> dict:
    export = client.get("/v1/exports", headers=headers)
    ids = [line["id"] for line in map(json.loads, export.text.splitlines()[1:-1])
           if line["external_id"] == external_id]  # fmt: skip
    response = client.get(f"/v1/editor/articles/{ids[0]}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_long_titles_that_slugify_alike_get_distinct_suffixed_slugs(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    title = "Дуже довгий заголовок " * 10  # its slug is cut at 120 characters
    lines = [
        article_line(n, translations=[{"lang": "uk", "title": title, "body": "<p>Т</p>"}])
        for n in range(3)
    ]
    post_import(client, editor_headers, ndjson(lines[:2]))
    post_import(client, editor_headers, ndjson(lines[2:]))
    edited = [make_article(client, editor_headers, title=title) for _ in range(2)]

    slugs = [item["slug"] for item in client.get("/v1/articles").json()["data"]]
    stem = slugs[-1]  # the oldest
    assert len(stem) == 120
    assert slugs == [f"{stem[:118]}-{n}" for n in (5, 4, 3, 2)] + [stem]
    assert [e["translations"][0]["slug"] for e in edited] == [f"{stem[:118]}-4", f"{stem[:118]}-5"]


def test_sync_clients_see_imported_changes_and_removals(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    post_import(client, editor_headers, ndjson(article_line(n) for n in range(3)))
    first = client.get("/v1/sync").json()
    assert len(first["data"]) == 3
    token = first["meta"]["next_sync_token"]
    ids = {item["slug"]: item["id"] for item in first["data"]}

    changed = [article_line(0, status="archived"), article_line(1), article_line(2)]
    changed[2]["translations"][0]["body"] = "<p>Оновлено.</p>"
    post_import(client, editor_headers, ndjson(changed))
    delta = client.get("/v1/sync", params={"token": token}).json()

    assert [item["id"] for item in delta["data"]] == [ids["novyna-nomer-2"]]
    assert [(d["id"], d["reason"]) for d in delta["deleted"]] == [
        (ids["novyna-nomer-0"], "archived")
    ]

    post_import(client, editor_headers, ndjson([article_line(0)]))  # public again
    again = client.get("/v1/sync", params={"token": delta["meta"]["next_sync_token"]}).json()
    assert ([item["id"] for item in again["data"]], again["deleted"]) == (
        [ids["novyna-nomer-0"]],
        [],
    )
