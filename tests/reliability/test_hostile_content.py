"""Hostile content: XSS vectors in every HTML field, SQL metacharacters in every parameter."""

import json
from functools import partial
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from defusedxml import ElementTree
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.imports.schemas import NDJSON_MEDIA_TYPE as NDJSON
from app.models import Article, ArticleTranslation, Tag
from tests.conftest import RecordingClient
from tests.factories import make_article, make_source, make_tag
from tests.reliability.conftest import public_get_operations
from tests.reliability.html_safety import executable_parts

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "owasp_xss_vectors.json").read_text(encoding="utf-8")
)
ATOM = "http://www.w3.org/2005/Atom"
SQL_PAYLOADS = [
    "' OR '1'='1",
    "'; DROP TABLE articles; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5); --",
    "%' OR 1=1 --",
    "') UNION SELECT NULL, NULL --",
    "\\'; --",
    "%_%",
    "news' --",
]


def _count(engine: Engine, model: type[Any]) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_checker_flags_every_raw_vector() -> None:
    """The XSS test is only as good as its checker: unsanitized, each vector is caught
    (bar those that only fooled long-gone browsers' parsers, marked `quirk`)."""
    assert len(VECTORS) >= 40
    missed = [v["name"] for v in VECTORS if not v.get("quirk") and not executable_parts(v["html"])]
    assert missed == []


def _bodies(article: dict[str, Any]) -> list[str]:
    return [t["body"] for t in article["translations"]]


def test_owasp_xss_vectors_never_come_back_executable_from_the_write_api(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    """Every vector through every HTML field and write path (create, add a translation,
    replace a translation); read back from the editor and the public API."""
    leaks: list[str] = []

    def check(where: str, html: str) -> None:
        problems = executable_parts(html)
        if problems:
            leaks.append(f"{where}: {problems} in {html!r}")

    for n, vector in enumerate(VECTORS):
        html = vector["html"]
        payload = {
            "original_lang": "uk",
            "status": "published",
            "translations": [{"lang": "uk", "title": f"Вектор {n}", "body": html}],
        }
        created = client.post("/v1/editor/articles", json=payload, headers=editor_headers)
        if "\x00" in html:  # PostgreSQL cannot store NUL: refused, whatever the database
            assert created.status_code == 422, created.text
            continue
        assert created.status_code == 201, created.text
        article = created.json()
        url = f"/v1/editor/articles/{article['id']}"
        added = client.put(
            f"{url}/translations/en",
            json={"title": f"Vector {n}", "body": html},
            headers=editor_headers,
        )
        replaced = client.put(
            f"{url}/translations/uk",
            json={"title": f"Вектор {n}", "body": f"<p>{n}</p>{html}"},
            headers=editor_headers,
        )
        assert (added.status_code, replaced.status_code) == (201, 200)
        for label, response in (("create", created), ("add", added), ("replace", replaced)):
            for body in _bodies(response.json()):
                check(f"{vector['name']} / {label}", body)
        for body in _bodies(client.get(url, headers=editor_headers).json()):
            check(f"{vector['name']} / editor read", body)
        for translation in replaced.json()["translations"]:
            public = client.get(f"/v1/articles/{translation['slug']}")
            assert public.status_code == 200
            check(f"{vector['name']} / public {translation['lang']}", public.json()["body"])

    for where, html in _public_html(client):  # lists, sync and syndication feeds too
        check(where, html)
    assert leaks == []
    assert _count(db, Article) == len(STORABLE)


STORABLE = [(n, v["html"]) for n, v in enumerate(VECTORS) if "\x00" not in v["html"]]


# (document, item) templates of the XML formats the importers read; {html} goes in escaped.
XML_FORMATS = {
    "rss": (
        '<rss version="2.0"><channel><title>t</title>{items}</channel></rss>',
        "<item><guid>xss-{n}</guid><title>Вектор {n}</title>"
        "<pubDate>Mon, 01 Jul 2024 10:00:00 GMT</pubDate>"
        "<description>{html}</description></item>",
    ),
    "atom": (
        f'<feed xmlns="{ATOM}"><title>t</title><id>f</id>{{items}}</feed>',
        "<entry><id>xss-{n}</id><title>Вектор {n}</title><updated>2024-07-01T10:00:00Z</updated>"
        '<content type="html">{html}</content></entry>',
    ),
    "wxr": (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel>{items}</channel></rss>',
        "<item><title>Вектор {n}</title><guid>xss-{n}</guid>"
        "<content:encoded>{html}</content:encoded><wp:post_id>{id}</wp:post_id>"
        "<wp:post_date_gmt>2024-07-01 10:00:00</wp:post_date_gmt>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>",
    ),
}


def _xml(fmt: str, vectors: list[tuple[int, str]]) -> bytes:
    document, item = XML_FORMATS[fmt]
    items = "".join(item.format(n=n, id=n + 1, html=escape(html)) for n, html in vectors)
    return document.format(items=items).encode()


def _ghost(vectors: list[tuple[int, str]]) -> bytes:
    posts = [
        {"id": f"xss-{n}", "title": f"Вектор {n}", "html": html, "status": "published",
         "published_at": "2024-07-01T10:00:00.000Z"}
        for n, html in vectors
    ]  # fmt: skip
    return json.dumps({"db": [{"data": {"posts": posts, "tags": [], "posts_tags": []}}]}).encode()


def _native(vectors: list[tuple[int, str]]) -> bytes:
    return "\n".join(
        json.dumps(
            {
                "external_id": f"xss-{n}",
                "status": "published",
                "published_at": "2024-07-01T10:00:00Z",
                "translations": [{"lang": "uk", "title": f"Вектор {n}", "body": html}],
            }
        )
        for n, html in vectors
    ).encode()


DOCUMENTS = {
    **{fmt: partial(_xml, fmt) for fmt in XML_FORMATS},
    "ghost": _ghost,
}


@pytest.mark.parametrize("fmt", ["ndjson", *DOCUMENTS])
def test_owasp_xss_vectors_never_come_back_executable_from_any_importer(
    client: RecordingClient, editor_headers: dict[str, str], fmt: str
) -> None:
    """Every vector as the body of a post in each format the importers read (converted as
    `dopys import --format` does), imported, then read back from every public output."""
    if fmt == "ndjson":
        body, params, media = _native(STORABLE), {}, NDJSON
    else:  # converted on the server, as `dopys import --format` has it done
        body, params, media = DOCUMENTS[fmt](STORABLE), {"format": fmt}, "application/xml"
    response = client.post(
        "/v1/imports",
        content=body,
        headers={**editor_headers, "Content-Type": media},
        params=params,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["failed"]) == (len(STORABLE), 0)
    outputs = _public_html(client)
    assert len(outputs) >= len(STORABLE) * 4
    assert [(where, html) for where, html in outputs if executable_parts(html)] == []


def _public_html(client: RecordingClient) -> list[tuple[str, str]]:
    """(where, html) for every HTML body the public API gives out: article pages, the feed
    and sync with include=body, and the syndication feeds in each format and language."""
    found: list[tuple[str, str]] = []
    feed = _pages(client, "/v1/articles", {"include": "body", "limit": "100"})
    for item in feed:
        found.append(("feed", item["body"]))
        page = client.get(f"/v1/articles/{item['slug']}").json()
        found.append((f"article {item['slug']}", page["body"]))
    found += [("sync", item["body"]) for item in _pages(client, "/v1/sync", {"include": "body"})]
    for lang in ("uk", "en"):
        json_feed = client.get(f"/v1/feeds/{lang}.json")
        assert json_feed.status_code == 200, json_feed.text
        found += [("json feed", item["content_html"]) for item in json_feed.json()["items"]]
        rss = ElementTree.fromstring(client.get(f"/v1/feeds/{lang}.rss").content)
        found += [
            ("rss", el.text or "")
            for el in rss.iter()
            if el.tag.endswith(("description", "encoded"))
        ]
        atom = ElementTree.fromstring(client.get(f"/v1/feeds/{lang}.atom").content)
        found += [("atom", el.text or "") for el in atom.iter(f"{{{ATOM}}}content")]
    return found


def _pages(client: RecordingClient, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        body = client.get(path, params=params).json()
        items += body["data"]
        cursor = body["meta"].get("next_cursor") or (
            body["meta"].get("next_sync_token") if body["meta"].get("has_more") else None
        )
        if not cursor:
            return items
        params = {**params, "cursor" if "next_cursor" in body["meta"] else "token": cursor}


def _fill(path: str, value: str) -> str:
    """`path` with every {parameter} replaced by `value` (URL-quoted by the client)."""
    out, rest = "", path
    while "{" in rest:
        head, _, tail = rest.partition("{")
        out += head + value.replace("/", "%2F")
        rest = tail.partition("}")[2]
    return out + rest


def test_sql_metacharacters_in_every_public_parameter_are_data(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    """Every string parameter of every public GET (found in the spec, so new endpoints such as
    search are covered when merged) gets each payload: a 4xx or an empty/matching-nothing
    answer, never a 5xx, and the data is untouched afterwards."""
    make_tag(client, editor_headers, "news", uk="Новини")
    make_article(client, editor_headers, tags=["news"], title="Ранкові новини")
    before = (_count(db, Article), _count(db, ArticleTranslation), _count(db, Tag))
    tried = 0
    for path, operation in public_get_operations(app.openapi()):
        params = [p for p in operation.get("parameters", []) if p["in"] in ("query", "path")]
        for payload in SQL_PAYLOADS:
            for param in params:
                if param["in"] == "path":
                    response = client.get(_fill(path, payload))
                else:
                    filled = _fill(path, "news")
                    response = client.get(filled, params={param["name"]: payload})
                tried += 1
                assert response.status_code in (200, 400, 404, 422), (path, param, payload)
                # A payload is text that no stored article contains: it matches nothing.
                filters = param["name"] not in ("lang", "only_translated", "limit")
                if response.status_code == 200 and "data" in response.json() and filters:
                    assert response.json()["data"] == [], (path, param, payload)
    assert tried >= len(SQL_PAYLOADS) * 5
    assert (_count(db, Article), _count(db, ArticleTranslation), _count(db, Tag)) == before


def test_sql_metacharacters_in_written_text_are_stored_and_served_verbatim(
    client: RecordingClient, editor_headers: dict[str, str], db: Engine
) -> None:
    for n, payload in enumerate(SQL_PAYLOADS):
        url = "https://example.org/?q=" + quote(payload, safe="'\";%")
        tag = make_tag(client, editor_headers, f"tag-{n}", uk=payload, en=payload)
        source = make_source(client, editor_headers, f"source-{n}", payload, uk=payload)
        article = make_article(
            client,
            editor_headers,
            external_id=payload,
            tags=[tag["slug"]],
            citations=[{"source": source["slug"], "url": url}],
            translations=[
                {"lang": "uk", "title": payload, "excerpt": payload, "body": f"<p>{payload}</p>"}
            ],
        )
        assert article["external_id"] == payload
        public = client.get(f"/v1/articles/{article['translations'][0]['slug']}").json()
        assert (public["title"], public["excerpt"]) == (payload, payload)
        assert public["tags"] == [{"slug": f"tag-{n}", "name": payload, "kind": "topic"}]
        assert public["citations"][0]["source"]["kind"] == payload
        assert public["citations"][0]["url"] == url
    assert _count(db, Article) == len(SQL_PAYLOADS)
    assert _count(db, Tag) == len(SQL_PAYLOADS)
