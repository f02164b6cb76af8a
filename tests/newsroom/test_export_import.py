"""Authors, featured and tag kinds go out through GET /v1/exports and back in through
POST /v1/imports with zero changes; import lines may carry them too."""

import json
from typing import Any

from sqlalchemy import Engine

from tests.conftest import RecordingClient, _clean
from tests.factories import hours_ago, make_article, make_author, make_tag
from tests.imports.helpers import article_line, counts, ndjson, post_import
from tests.imports.test_export import _recreate_key


def _public(client: RecordingClient) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for path in ("/v1/articles", "/v1/authors", "/v1/tags", "/v1/authors/olena"):
        for lang in ("uk", "en"):
            seen[f"{path}?{lang}"] = client.get(path, params={"lang": lang}).json()
    for params in ({"featured": "true"}, {"section": "news"}, {"author": "andrii"}):
        seen[json.dumps(params)] = client.get("/v1/articles", params=params).json()
    for item in seen["/v1/articles?uk"]["data"]:
        related = client.get(f"/v1/articles/{item['slug']}/related").json()
        seen[f"related {item['slug']}"] = related
    return seen


def test_bylines_featured_and_sections_survive_export_then_import(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    client.post(
        "/v1/editor/tags",
        json={"slug": "news", "names": {"uk": "Новини", "en": "News"}, "kind": "section"},
        headers=editor_headers,
    )
    make_tag(client, editor_headers, "war", uk="Війна")
    make_author(
        client,
        editor_headers,
        "olena",
        names={"uk": "Олена Петренко", "en": "Olena Petrenko"},
        bios={"uk": "Кореспондентка.", "en": "Correspondent."},
        photo_url="https://img.example/olena.jpg",
        links=["https://x.example/olena", "https://mastodon.example/@olena"],
    )
    make_author(client, editor_headers, "andrii", names={"uk": "Андрій"})
    make_article(
        client,
        editor_headers,
        tags=["news", "war"],
        authors=["olena", "andrii"],
        featured=True,
        published_at=hours_ago(3),
    )
    make_article(
        client, editor_headers, tags=["war"], authors=["andrii"], published_at=hours_ago(2)
    )
    make_article(client, editor_headers, tags=["news"], authors=["olena"], status="draft")
    before = _public(client)
    export = client.get("/v1/exports", headers=editor_headers)
    # Between the export's header and trailer lines: the articles.
    lines = [json.loads(line) for line in export.text.splitlines()[1:-1]]
    first = next(line for line in lines if line["featured"])
    assert first["authors"] == [
        {
            "slug": "olena",
            "names": {"en": "Olena Petrenko", "uk": "Олена Петренко"},
            "bios": {"en": "Correspondent.", "uk": "Кореспондентка."},
            "photo_url": "https://img.example/olena.jpg",
            "links": ["https://x.example/olena", "https://mastodon.example/@olena"],
        },
        {"slug": "andrii", "names": {"uk": "Андрій"}, "bios": {}, "photo_url": None, "links": []},
    ]
    assert first["tags"] == [
        {"slug": "news", "names": {"en": "News", "uk": "Новини"}, "kind": "section"},
        {"slug": "war", "names": {"uk": "Війна"}, "kind": "topic"},
    ]

    _clean(db)
    key = _recreate_key(db)
    assert counts(post_import(client, key, export.content)) == (3, 0, 0, 0)

    assert _public(client) == before
    again = client.get("/v1/exports", headers=key)
    assert again.text == export.text
    assert counts(post_import(client, key, again.content)) == (0, 0, 3, 0)


def test_import_lines_take_authors_by_slug_or_in_full(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_author(client, editor_headers, "olena", names={"uk": "Олена"})
    full = {
        "slug": "andrii",
        "names": {"uk": "Андрій"},
        "bios": {"uk": "Редактор."},
        "links": ["https://x.example/andrii"],
    }
    line = article_line(
        1,
        authors=["olena", full],
        featured=True,
        tags=[{"slug": "news", "names": {"uk": "Новини"}, "kind": "section"}],
    )
    bad = [
        article_line(2, authors=["olena", "olena"]),
        article_line(3, authors=[{"slug": "x", "names": {"en": "X"}, "bios": {"uk": "Б"}}]),
        article_line(4, authors=[{"slug": "x", "links": ["javascript:alert(1)"]}]),
        article_line(5, tags=[{"slug": "x", "kind": "category"}]),
    ]
    report = post_import(client, editor_headers, ndjson([line, *bad]))

    assert counts(report) == (1, 0, 0, 4)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (2, "authors"),
        (3, "authors[0].bios.uk"),
        (4, "authors[0].links[0]"),
        (5, "tags[0].kind"),
    ]
    item = client.get("/v1/articles", params={"section": "news"}).json()["data"][0]
    assert item["featured"] is True
    assert [(a["slug"], a["name"], a["bio"]) for a in item["authors"]] == [
        ("olena", "Олена", ""),
        ("andrii", "Андрій", "Редактор."),
    ]
    assert client.get("/v1/authors/andrii").json()["links"] == ["https://x.example/andrii"]
