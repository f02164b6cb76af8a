"""GET /v1/exports, and the round trip: export, import into an empty database, same API."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from tests.conftest import RecordingClient, _clean
from tests.factories import hours_ago, make_article, make_source, make_tag
from tests.imports.helpers import (
    NDJSON,
    article_line,
    counts,
    exported_articles,
    ndjson,
    post_import,
)


def _make_newsroom(client: RecordingClient, headers: dict[str, str]) -> None:
    """Articles of every kind: bilingual, cited via another source, draft, scheduled, with
    and without external_id, made in the editor and imported; with a cover image and SEO
    fields, restricted, and a page."""
    make_tag(client, headers, "news", uk="Новини", en="News")
    make_tag(client, headers, "world", en="World")
    make_source(client, headers, "isw", "think_tank", en="ISW", uk="Інститут вивчення війни")
    make_source(client, headers, "tv-chosun", "broadcaster", en="TV Chosun")
    seed = make_article(
        client,
        headers,
        lang="en",
        title="Czech Republic is ready to search for ammunition",
        body='<p>Prague <a href="https://example.org/">said</a> &amp; more.</p>',
        tags=["news", "world"],
        citations=[
            {"source": "tv-chosun", "url": "https://example.org/chosun"},
            {"source": "isw", "url": "https://example.org/isw", "via": 0},
        ],
        external_id="seed-1",
        cover_image={"url": "https://example.org/cover.jpg", "width": 1600, "height": 900},
        canonical_url="https://origin.example/czech",
    )
    translated = client.put(
        f"/v1/editor/articles/{seed['id']}/translations/uk",
        json={
            "title": "Чехія готова шукати боєприпаси",
            "body": "<p>Прага заявила.</p>",
            "cover_alt": "Склад боєприпасів",
            "cover_caption": "Склад у Чехії",
            "cover_credit": "Фото: ČTK",
            "meta_title": "Чехія і боєприпаси",
            "meta_description": "Прага шукає снаряди.",
            "og_image": "https://example.org/social.jpg",
        },
        headers=headers,
    )
    assert translated.status_code == 201, translated.text
    same = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # two articles at one instant: id decides
    for n in range(4):
        make_article(client, headers, title=f"Свіжий допис {n}", published_at=same, tags=["news"])
    make_article(client, headers, title="Чернетка", status="draft")
    make_article(
        client, headers, title="Заплановано", published_at=datetime.now(UTC) + timedelta(days=2)
    )
    make_article(client, headers, title="Архів", status="archived", published_at=hours_ago(100))
    make_article(client, headers, title="Для передплатників", visibility="restricted")
    make_article(client, headers, title="Про нас", type="page", cover_image_url=None)
    post_import(client, headers, ndjson(article_line(n) for n in range(3)))


def _public_api(client: RecordingClient) -> dict[str, Any]:
    """Everything a reader can fetch: feed pages in both languages (and filtered), and every
    article by the slug of each of its translations."""
    seen: dict[str, Any] = {}
    slugs: set[str] = set()
    for path, params in (
        ("/v1/articles", {"lang": "uk"}),
        ("/v1/articles", {"lang": "en"}),
        ("/v1/articles", {"lang": "en", "tag": "world"}),
        ("/v1/pages", {"lang": "uk"}),
    ):
        cursor = None
        while True:
            query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
            page = client.get(path, params=query)
            assert page.status_code == 200, page.text
            seen[path + json.dumps(query, sort_keys=True)] = page.json()
            slugs |= {
                (path, t["slug"]) for item in page.json()["data"] for t in item["translations"]
            }
            cursor = page.json()["meta"]["next_cursor"]
            if cursor is None:
                break
    for path, slug in sorted(slugs):
        for lang in ("uk", "en"):
            response = client.get(f"{path}/{slug}", params={"lang": lang})
            assert response.status_code == 200, response.text
            seen[f"{path}/{slug}?{lang}"] = response.json()
    for path in ("/v1/tags/news", "/v1/tags/world", "/v1/sources/isw", "/v1/sources/tv-chosun"):
        seen[path] = client.get(path, params={"lang": "uk"}).json()
    return seen


def test_export_then_import_into_an_empty_database_serves_the_same_public_api(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    _make_newsroom(client, editor_headers)
    before = _public_api(client)
    export = client.get("/v1/exports", headers=editor_headers)
    assert export.status_code == 200
    assert export.headers["content-type"] == "application/x-ndjson"
    header, *articles, trailer = export.text.splitlines()
    assert json.loads(header) == {"export": {"format": "dopys-articles", "version": 1}}
    assert json.loads(trailer) == {"export": {"count": 13, "complete": True}}
    lines = [json.loads(line) for line in articles]
    assert len(lines) == 13
    assert {line["status"] for line in lines} == {"draft", "published", "archived"}

    _clean(db)
    assert client.get("/v1/articles").json()["data"] == []
    key = _recreate_key(db)
    report = post_import(client, key, export.content)

    assert counts(report) == (13, 0, 0, 0)
    assert _public_api(client) == before
    again = client.get("/v1/exports", headers=key)
    assert again.text == export.text
    assert counts(post_import(client, key, again.content)) == (0, 0, 13, 0)
    by_id = {line["id"]: line for line in lines}
    seed = next(line for line in lines if line["external_id"] == "seed-1")
    assert (seed["cover_image"], seed["canonical_url"]) == (
        {"url": "https://example.org/cover.jpg", "width": 1600, "height": 900},
        "https://origin.example/czech",
    )
    uk = next(t for t in seed["translations"] if t["lang"] == "uk")
    assert {k: uk[k] for k in ("cover_alt", "cover_credit", "og_image")} == {
        "cover_alt": "Склад боєприпасів",
        "cover_credit": "Фото: ČTK",
        "og_image": "https://example.org/social.jpg",
    }
    kinds = sorted((line["type"], line["visibility"]) for line in by_id.values())
    assert kinds == [("article", "public")] * 11 + [("article", "restricted"), ("page", "public")]
    restricted = before["/v1/articles/dlia-peredplatnykiv?uk"]
    assert (restricted["visibility"], restricted["body"]) == ("restricted", None)
    assert before["/v1/pages/pro-nas?uk"]["title"] == "Про нас"


def test_export_walks_every_article_across_pages_in_id_order(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    post_import(client, editor_headers, ndjson(article_line(n) for n in range(1203)))

    header, *lines, trailer = client.get("/v1/exports", headers=editor_headers).text.splitlines()

    assert json.loads(header) == {"export": {"format": "dopys-articles", "version": 1}}
    assert json.loads(trailer) == {"export": {"count": 1203, "complete": True}}
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == 1203
    assert ids == sorted(set(ids))
    assert json.loads(lines[0])["translations"][0]["lang"] == "en"


def _recreate_key(db: Engine) -> dict[str, str]:
    from app.core.db import make_session_factory, unit_of_work
    from app.keys.service import create_key
    from app.models import KeyScope

    with unit_of_work(make_session_factory(db, write=True)) as session:
        secret = create_key(session, name="restore", scope=KeyScope.WRITE).secret
    return {"Authorization": f"Bearer {secret}", **NDJSON}


def _sync_to_end(client: RecordingClient, token: str | None = None) -> tuple[list[Any], str]:
    changed: list[Any] = []
    while True:
        body = client.get("/v1/sync", params={"limit": 100, **({"token": token} if token else {})})
        assert body.status_code == 200, body.text
        changed += body.json()["data"] + body.json()["deleted"]
        token = body.json()["meta"]["next_sync_token"]
        if not body.json()["meta"]["has_more"]:
            return changed, str(token)


def test_export_then_import_into_the_same_database_changes_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Articles made in the editor, imported, translated after import: re-importing their
    export reports every one unchanged, bumps no version or time and leaves sync quiet."""
    _make_newsroom(client, editor_headers)
    export = client.get("/v1/exports", headers=editor_headers).text
    _, token = _sync_to_end(client)

    report = post_import(client, editor_headers, export.encode())

    stored = len(exported_articles(export))
    assert counts(report) == (0, 0, stored, 0)
    assert sum(k["unchanged"] for k in report["kinds"].values()) == stored
    assert client.get("/v1/exports", headers=editor_headers).text == export
    assert _sync_to_end(client, token)[0] == []
    assert counts(post_import(client, editor_headers, export.encode())) == (0, 0, stored, 0)
    edited = next(x for x in exported_articles(export) if x["external_id"] == "seed-1")
    edited["translations"][0]["title"] += " (updated)"
    assert counts(post_import(client, editor_headers, ndjson([edited]))) == (0, 1, 0, 0)
    assert [a["id"] for a in _sync_to_end(client, token)[0]] == [edited["id"]]


def test_text_that_reads_like_markup_survives_export_and_import_exactly(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    """Text fields are plain text, decoded once on the way in; an export writes them as an
    import reads them (HTML text), so a restore gives back the very text stored."""
    make_tag(client, editor_headers, "news", uk="Tom & Jerry &amp;amp; co")
    make_tag(client, editor_headers, "world", en="<i>World</i> &gt; all")
    make_source(client, editor_headers, "isw", "a < b", uk="ISW &amp;lt;3")
    article = make_article(
        client,
        editor_headers,
        tags=["news", "world"],
        citations=[{"source": "isw"}],
        translations=[
            {
                "lang": "uk",
                "title": "Ракети &amp;lt;b&amp;gt; a < b",
                "excerpt": "5 &lt; 6 &amp;amp;",
            }
        ],
    )
    stored = article["translations"][0]
    assert (stored["title"], stored["excerpt"]) == ("Ракети &lt;b&gt; a < b", "5 < 6 &amp;")
    before = _public_api(client)
    export = client.get("/v1/exports", headers=editor_headers).content
    _clean(db)
    key = _recreate_key(db)
    report = post_import(client, key, export)
    assert counts(report) == (1, 0, 0, 0), report
    assert _public_api(client) == before
    assert client.get("/v1/exports", headers=key).content == export
