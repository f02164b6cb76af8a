"""What a generated client and a browser meet: offline docs, sparse projections with their
own media type, absolute feed links, paged taxonomy Link headers, one timestamp precision,
and a README that names every setting."""

import re
from collections.abc import Iterator
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import pytest

from app.core.config import Settings
from app.main import create_app
from app.openapi_export import current_spec
from tests.conftest import RecordingClient
from tests.factories import make_article, make_source, make_tag

README = Path(__file__).resolve().parents[2] / "README.md"


class _References(HTMLParser):
    """Every URL a page loads: scripts, stylesheets, icons, images, ReDoc's document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "redoc": "spec-url"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def _references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    # Swagger UI's bootstrap script names the document it loads in JavaScript.
    return [*parser.urls, *re.findall(r"url: '([^']+)'", html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_app_itself(
    client: RecordingClient, page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    urls = _references(response.text)
    assert len(urls) >= 3, urls  # script, favicon, the OpenAPI document (+ CSS for Swagger)
    assert "/openapi.json" in urls
    for url in urls:
        assert url.startswith("/"), f"{page} loads {url} from elsewhere"
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 100, url
    assert "cdn" not in response.text.lower()
    assert "fonts.googleapis" not in response.text


def test_redoc_reads_the_served_document(client: RecordingClient) -> None:
    html = client.get("/redoc").text
    assert '<redoc spec-url="/openapi.json"></redoc>' in html
    script = next(u for u in _references(html) if u.endswith(".js"))
    assert client.get(script).headers["content-type"] in {
        "text/javascript; charset=utf-8",
        "application/javascript",
    }


def test_fields_answers_the_sparse_media_type_and_only_then(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_article(client, editor_headers, title="Перша ракета", body="<p>ракета</p>")
    for path, params in (
        ("/v1/articles", {}),
        ("/v1/search", {"q": "ракета"}),
        ("/v1/sync", {}),
    ):
        whole = client.get(path, params=params)
        assert whole.status_code == 200, path
        assert whole.headers["content-type"] == "application/json", path
        sparse = client.get(path, params={**params, "fields": "id,title"})
        assert sparse.status_code == 200, path
        assert sparse.headers["content-type"] == "application/vnd.dopys.sparse+json", path
        assert set(sparse.json()["data"][0]) == {"id", "title"}, path
        # include=body alone keeps the whole item (body is an optional field of it).
        with_body = client.get(path, params={**params, "include": "body"})
        assert with_body.headers["content-type"] == "application/json", path


def test_spec_types_languages_and_feed_errors_for_generated_clients() -> None:
    spec = current_spec()
    schemas = spec["components"]["schemas"]
    for name in ("ArticleListItem", "ArticleRead", "TranslationRef", "SearchHit"):
        assert schemas[name]["properties"]["lang"]["enum"] == ["uk", "en"], name
    feeds = {path: item["get"] for path, item in spec["paths"].items() if "/feeds/" in path}
    assert {path: op["operationId"] for path, op in feeds.items()} == {
        "/v1/feeds/{lang}.rss": "feeds-language_feed_rss",
        "/v1/feeds/{lang}.atom": "feeds-language_feed_atom",
        "/v1/feeds/{lang}.json": "feeds-language_feed_json",
        "/v1/feeds/{lang}/{kind}/{slug}.rss": "feeds-taxonomy_feed_rss",
        "/v1/feeds/{lang}/{kind}/{slug}.atom": "feeds-taxonomy_feed_atom",
        "/v1/feeds/{lang}/{kind}/{slug}.json": "feeds-taxonomy_feed_json",
    }
    media = {"rss": "application/rss+xml", "atom": "application/atom+xml"}
    for path, operation in feeds.items():
        ok = operation["responses"]["200"]["content"]
        fmt = path.rsplit(".", 1)[1]
        if fmt == "json":
            assert ok == {
                "application/feed+json": {"schema": {"$ref": "#/components/schemas/JsonFeed"}}
            }
        else:
            assert ok == {media[fmt]: {"schema": {"type": "string", "format": "xml"}}}
        for status in ("404", "422", "503"):
            assert operation["responses"][status]["content"] == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }, (path, status)
        lang = next(p for p in operation["parameters"] if p["name"] == "lang")
        assert lang["schema"]["enum"] == ["uk", "en"]
    # Public operations declare that they need nothing; editor ones need the bearer key.
    assert spec["paths"]["/v1/articles"]["get"]["security"] == []
    assert spec["paths"]["/v1/editor/articles"]["post"]["security"] == [{"HTTPBearer": []}]
    assert spec["servers"] == [{"url": "/", "description": "This API (set by PUBLIC_BASE_URL)."}]
    assert {tag["name"] for tag in spec["tags"]} >= {
        tag for item in spec["paths"].values() for op in item.values() for tag in op["tags"]
    }


def test_unknown_feed_formats_stay_404_problems(client: RecordingClient) -> None:
    response = client.get("/v1/feeds/uk.xml")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No feed format '.xml'; there are .rss, .atom, .json."


@pytest.fixture
def based_client(settings: Settings, db: object) -> Iterator[RecordingClient]:
    app = create_app(settings.model_copy(update={"public_base_url": "https://api.example.org/"}))
    with RecordingClient(app) as client:
        yield client
        assert client.server_errors == []


def _self_links(client: RecordingClient, base: str = "") -> dict[str, Any]:
    atom = feedparser.parse(client.get(f"{base}/v1/feeds/uk.atom").content)
    rss = client.get(f"{base}/v1/feeds/uk.rss").text
    json_feed = client.get(f"{base}/v1/feeds/en.json").json()
    return {
        "atom_id": atom.feed.id,
        "atom_self": next(link.href for link in atom.feed.links if link.rel == "self"),
        "rss_self": re.search(r'<atom:link href="([^"]+)" rel="self"', rss).group(1),  # type: ignore[union-attr]
        "feed_url": json_feed["feed_url"],
    }


def test_feed_self_links_use_public_base_url(based_client: RecordingClient) -> None:
    assert _self_links(based_client) == {
        "atom_id": "https://api.example.org/v1/feeds/uk.atom",
        "atom_self": "https://api.example.org/v1/feeds/uk.atom",
        "rss_self": "https://api.example.org/v1/feeds/uk.rss",
        "feed_url": "https://api.example.org/v1/feeds/en.json",
    }
    spec = based_client.get("/openapi.json").json()
    assert spec["servers"][0]["url"] == "https://api.example.org"


def test_feed_self_links_follow_the_request_when_no_base_url_is_set(
    client: RecordingClient,
) -> None:
    """Unset, the base is the request's own (scheme and host; uvicorn rewrites the scheme
    from X-Forwarded-Proto of trusted proxies before the app sees it)."""
    assert _self_links(client, "https://news.example.net:8443") == {
        "atom_id": "https://news.example.net:8443/v1/feeds/uk.atom",
        "atom_self": "https://news.example.net:8443/v1/feeds/uk.atom",
        "rss_self": "https://news.example.net:8443/v1/feeds/uk.rss",
        "feed_url": "https://news.example.net:8443/v1/feeds/en.json",
    }
    # Another host is another cache entry, never the first host's links.
    assert _self_links(client)["feed_url"] == "http://testserver/v1/feeds/en.json"


@pytest.mark.parametrize("kind", ["tags", "sources"])
def test_taxonomy_lists_send_a_link_to_the_next_page(
    client: RecordingClient, editor_headers: dict[str, str], kind: str
) -> None:
    make = make_tag if kind == "tags" else make_source
    for slug in ("alpha", "beta", "gamma"):
        make(client, editor_headers, slug)
    first = client.get(f"/v1/{kind}", params={"limit": 2})
    assert first.status_code == 200
    cursor = first.json()["meta"]["next_cursor"]
    assert cursor is not None
    assert first.headers["link"] == (
        f'<http://testserver/v1/{kind}?limit=2&cursor={cursor}>; rel="next"'
    )
    last = client.get(first.headers["link"][1:].split(">", 1)[0])
    assert [item["slug"] for item in last.json()["data"]] == ["gamma"]
    assert last.json()["meta"]["next_cursor"] is None
    assert "link" not in last.headers


def _whole_seconds(text: str) -> bool:
    return datetime.fromisoformat(text).microsecond == 0 and "." not in text


def test_timestamps_have_one_precision_whole_seconds(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Секунди")
    assert _whole_seconds(article["updated_at"]) and _whole_seconds(article["created_at"])
    assert _whole_seconds(article["published_at"])
    item = client.get("/v1/articles").json()["data"][0]
    assert _whole_seconds(item["updated_at"]) and _whole_seconds(item["published_at"])
    page = client.get(f"/v1/articles/{item['slug']}").json()
    assert _whole_seconds(page["updated_at"]) and _whole_seconds(page["published_at"])
    entry = client.get("/v1/feeds/uk.json").json()["items"][0]
    assert _whole_seconds(entry["date_modified"]) and _whole_seconds(entry["date_published"])


def test_readme_configuration_table_names_every_setting() -> None:
    table = README.read_text(encoding="utf-8").split("### Configuration", 1)[1]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.MULTILINE))
    settings = {name.upper() for name in Settings.model_fields}
    assert settings - documented == set(), "add these settings to the README's table"
    assert documented - settings == set(), "the README names settings that do not exist"
