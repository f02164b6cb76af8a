"""Plain text stays plain text and HTML stays sanitized in every output (issue 16, findings
3 and 4): the browser-free XSS check. Every feed format and every JSON field a front end may
render is parsed with a real parser and checked for its declared type: a text field holds
no markup at all (inert even if a front end renders it as HTML), an HTML field nothing that
could execute."""

import json
from pathlib import Path
from typing import Any

import feedparser
from defusedxml import ElementTree

from app.core.html import FORBIDDEN_CHARS_RE
from tests.conftest import RecordingClient
from tests.reliability.html_safety import executable_parts, markup_in

DATA = Path(__file__).parent / "data"
VECTORS: list[dict[str, str]] = [
    *json.loads((DATA / "owasp_xss_vectors.json").read_text(encoding="utf-8")),
    *json.loads((DATA / "dompurify_vectors.json").read_text(encoding="utf-8")),
]
# Vectors a text field can take (the others hold control characters: a 422, tested apart).
STORABLE = [v for v in VECTORS if not FORBIDDEN_CHARS_RE.search(v["html"])]
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
HTML_FIELDS = {"body", "content_html"}
# Search snippets are escaped text whose one tag is <mark> around the matched words.
MARKED_FIELDS = {"snippet"}


def _check_json(where: str, value: Any, problems: list[str], key: str = "") -> int:
    """Walk a JSON document: HTML fields must be inert, every other string must be text."""
    checked = 0
    if isinstance(value, dict):
        for k, v in value.items():
            checked += _check_json(f"{where}.{k}", v, problems, k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            checked += _check_json(f"{where}[{i}]", v, problems, key)
    elif isinstance(value, str):
        checked = 1
        if key in HTML_FIELDS:
            found = executable_parts(value)
        elif key in MARKED_FIELDS:
            found = markup_in(value.replace("<mark>", "").replace("</mark>", ""))
        else:
            found = markup_in(value)
        if found:
            problems.append(f"{where}: {found} in {value[:120]!r}")
    return checked


def _check_xml(where: str, document: bytes, problems: list[str]) -> int:
    """RSS 2.0 or Atom 1.0, parsed: HTML elements inert, text elements free of markup."""
    checked = 0
    for element in ElementTree.fromstring(document).iter():
        text = element.text or ""
        tag = element.tag
        if tag in (CONTENT_ENCODED, f"{ATOM}content"):
            assert tag == CONTENT_ENCODED or element.get("type") == "html"
            found = executable_parts(text)
        elif tag == "description":
            # RSS readers render <description> as HTML: escaped text, or the sanitized body.
            found = executable_parts(text)
        else:
            if tag == f"{ATOM}summary":
                assert element.get("type", "text") == "text"
            found = markup_in(text) + [
                f"{name}={value!r}" for name, value in element.attrib.items() if markup_in(value)
            ]
        checked += 1
        if found:
            problems.append(f"{where} <{tag}>: {found} in {text[:120]!r}")
    return checked


def _feed_paths(tags: list[str], sources: list[str]) -> list[str]:
    paths = [f"/v1/feeds/{lang}" for lang in ("uk", "en")]
    paths += [f"/v1/feeds/uk/tags/{slug}" for slug in tags]
    paths += [f"/v1/feeds/uk/sources/{slug}" for slug in sources]
    return [f"{path}.{fmt}" for path in paths for fmt in ("rss", "atom", "json")]


def test_every_vector_in_every_text_and_html_field_comes_out_inert_everywhere(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Each vector as a tag's and a source's names, a source's kind, and an article's title,
    excerpt and body, in both languages; then every feed (each format, language, tag and
    source) and every public JSON read is checked field by field for its type."""
    tags, sources = [], []
    for n, vector in enumerate(STORABLE):
        text = f"Вектор {n} {vector['html']}"
        tag = client.post(
            "/v1/editor/tags",
            json={
                "slug": f"t-{n}",
                "names": {"uk": text[:200], "en": f"T{n} {vector['html']}"[:200]},
            },
            headers=editor_headers,
        )
        source = client.post(
            "/v1/editor/sources",
            json={
                "slug": f"s-{n}",
                "names": {"uk": text[:200]},
                "kind": f"k{n} {vector['html']}"[:50],
            },
            headers=editor_headers,
        )
        assert (tag.status_code, source.status_code) == (201, 201), (tag.text, source.text)
        tags.append(f"t-{n}")
        sources.append(f"s-{n}")
        article = {
            "original_lang": "uk",
            "status": "published",
            "tags": [f"t-{n}"],
            "citations": [{"source": f"s-{n}"}],
            "translations": [
                {"lang": "uk", "title": text[:1000], "excerpt": text, "body": vector["html"]},
                # No excerpt: the automatic one is made from the body.
                {"lang": "en", "title": f"Vector {n} {vector['html']}", "body": vector["html"]},
            ],
        }
        created = client.post("/v1/editor/articles", json=article, headers=editor_headers)
        assert created.status_code == 201, created.text
        problems: list[str] = []
        _check_json(f"{vector['name']} / editor", created.json(), problems)
        assert problems == []

    problems = []
    checked = 0
    for path in _feed_paths(tags, sources):
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        if path.endswith(".json"):
            checked += _check_json(path, response.json(), problems)
        else:
            checked += _check_xml(path, response.content, problems)
            assert not feedparser.parse(response.content).bozo, path
    reads = ["/v1/articles?include=body&limit=100", "/v1/tags?limit=100", "/v1/sources?limit=100"]
    reads += ["/v1/articles?lang=en&include=body&limit=100", "/v1/sync?include=body&limit=100"]
    reads += ["/v1/search?q=Вектор&include=body&limit=100", "/v1/search?q=Vector&lang=en"]
    reads += [f"/v1/tags/{slug}" for slug in tags] + [f"/v1/sources/{slug}" for slug in sources]
    for path in reads:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        checked += _check_json(path, response.json(), problems)
    for item in client.get("/v1/articles", params={"limit": 100}).json()["data"]:
        for lang in ("uk", "en"):
            page = client.get(f"/v1/articles/{item['slug']}", params={"lang": lang})
            checked += _check_json(f"article {item['slug']} {lang}", page.json(), problems)
    assert problems == []
    assert checked > len(STORABLE) * 50


def test_plain_text_fields_strip_markup_and_decode_entities_once(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Finding 3: titles, excerpts and names were stored and served raw, and the automatic
    excerpt decoded `&lt;img onerror=…&gt;` in a body into live markup."""
    tag = client.post(
        "/v1/editor/tags",
        json={"slug": "news", "names": {"uk": "<b>Новини</b> &amp; події", "en": "A &lt;b&gt;"}},
        headers=editor_headers,
    )
    assert tag.status_code == 201, tag.text
    assert tag.json()["names"] == {"en": "A", "uk": "Новини & події"}
    created = client.post(
        "/v1/editor/articles",
        json={
            "original_lang": "uk",
            "status": "published",
            "tags": ["news"],
            "translations": [
                {
                    "lang": "uk",
                    "title": "<script>alert(1)</script>Ракети &amp;lt;b&amp;gt; a < b",
                    "excerpt": "<img src=x onerror=alert(1)>Коротко &quot;так&quot;",
                    "body": "<p>&lt;img src=x onerror=alert(1)&gt; Текст &amp; ще.</p>",
                },
                {
                    "lang": "en",
                    "title": "Missiles",
                    "body": "<p>&lt;img src=x onerror=alert(1)&gt;Text &lt;3</p>",
                },
            ],
        },
        headers=editor_headers,
    )
    assert created.status_code == 201, created.text
    by_lang = {t["lang"]: t for t in created.json()["translations"]}
    assert by_lang["uk"]["title"] == "Ракети &lt;b&gt; a < b"
    assert by_lang["uk"]["excerpt"] == 'Коротко "так"'
    # The body keeps the escaped text (it is HTML); the excerpt made from it has no tag.
    assert by_lang["en"]["body"] == "<p>&lt;img src=x onerror=alert(1)&gt;Text &lt;3</p>"
    assert by_lang["en"]["excerpt"] == "Text <3"
    public = client.get("/v1/articles/" + by_lang["uk"]["slug"]).json()
    assert (public["title"], public["excerpt"]) == ("Ракети &lt;b&gt; a < b", 'Коротко "так"')
    assert public["tags"] == [{"slug": "news", "name": "Новини & події", "kind": "topic"}]

    only_markup = client.post(
        "/v1/editor/tags",
        json={"slug": "empty", "names": {"uk": "<b></b>"}},
        headers=editor_headers,
    )
    assert only_markup.status_code == 422
    assert only_markup.json()["errors"] == [
        {
            "field": "names.uk",
            "message": "Value error, Holds only markup; plain text needs some words.",
        }
    ]

    rss = ElementTree.fromstring(client.get("/v1/feeds/uk.rss").content)
    descriptions = [el.text for el in rss.iter("description")]
    # The channel's, then the item's: the excerpt as HTML-escaped text.
    assert descriptions[1] == 'Коротко "так"'
    tag_feed = ElementTree.fromstring(client.get("/v1/feeds/uk/tags/news.rss").content)
    # The channel's description is HTML to RSS readers as well: the tag name is escaped.
    assert next(tag_feed.iter("description")).text == "Свіжі дописи: Dopys: Новини &amp; події"
    en = ElementTree.fromstring(client.get("/v1/feeds/en.rss").content)
    assert [el.text for el in en.iter("description")][1] == "Text &lt;3"
    atom = ElementTree.fromstring(client.get("/v1/feeds/en.atom").content)
    assert [el.text for el in atom.iter(f"{ATOM}summary")] == ["Text <3"]
    feed = client.get("/v1/feeds/en.json").json()
    assert feed["items"][0]["summary"] == "Text <3"
