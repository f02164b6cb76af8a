"""ETag / Last-Modified / 304 on every public GET, the response cache behind them, and
its freshness: a write or a scheduled go-live shows on the very next request."""

import asyncio
import email.utils
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI

from app.core.caching import (
    PUBLIC_VARY,
    PublicCache,
    ResponseCache,
    SharedReading,
    VersionProbe,
)
from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.conftest import route_statements as _statements
from tests.factories import make_article, make_source, make_tag

PUBLIC_CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=300"


def _slug(article: dict[str, Any]) -> str:
    return str(article["translations"][0]["slug"])


def _retitle(
    client: RecordingClient, headers: dict[str, str], article: dict[str, Any], title: str
) -> None:
    response = client.put(
        f"/v1/editor/articles/{article['id']}/translations/{article['original_lang']}",
        json={"title": title, "slug": _slug(article), "body": "<p>Нове.</p>"},
        headers=headers,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def published(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, Any]:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_source(client, editor_headers, "isw", en="ISW")
    return make_article(client, editor_headers, title="Перша стаття", tags=["news"])


def test_a_repeated_get_is_304_until_the_article_is_edited(
    client: RecordingClient, editor_headers: dict[str, str], published: dict[str, Any]
) -> None:
    """Acceptance 1."""
    url = f"/v1/articles/{_slug(published)}"
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert "content-type" not in again.headers

    _retitle(client, editor_headers, published, "Перша стаття, виправлена")
    edited = client.get(url, headers={"If-None-Match": etag})
    assert edited.status_code == 200
    assert edited.json()["title"] == "Перша стаття, виправлена"
    assert edited.headers["etag"] != etag
    assert client.get(url, headers={"If-None-Match": edited.headers["etag"]}).status_code == 304


def test_every_public_get_carries_the_caching_headers_and_answers_304(
    client: RecordingClient, published: dict[str, Any]
) -> None:
    urls = [
        "/v1/articles",
        f"/v1/articles/{_slug(published)}",
        "/v1/tags",
        "/v1/tags/news",
        "/v1/sources",
        "/v1/sources/isw",
        "/v1/sync",
    ]
    for url in urls:
        response = client.get(url, headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200, url
        headers = response.headers
        etag = headers["etag"]
        assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/"), url
        assert headers["cache-control"] == PUBLIC_CACHE_CONTROL, url
        assert headers["vary"] == PUBLIC_VARY, url
        assert headers["content-language"] == "uk", url
        modified = email.utils.parsedate_to_datetime(headers["last-modified"])
        assert abs(modified - datetime.now(UTC)) < timedelta(minutes=1), url

        conditional = {"If-None-Match": etag, "Accept-Encoding": "identity"}
        not_modified = client.get(url, headers=conditional)
        assert not_modified.status_code == 304, url
        assert not_modified.content == b""
        assert {k: not_modified.headers[k] for k in ("etag", "cache-control", "vary")} == {
            "etag": etag,
            "cache-control": PUBLIC_CACHE_CONTROL,
            "vary": PUBLIC_VARY,
        }
        since = {"If-Modified-Since": headers["last-modified"], "Accept-Encoding": "identity"}
        assert client.get(url, headers=since).status_code == 304, url


def test_every_public_get_route_uses_the_shared_caching_dependency(app: FastAPI) -> None:
    """A new public GET that forgot the dependency fails here, not in production: the
    dependency is what declares If-None-Match, so the spec shows who uses it. Public means
    no API key needed (an empty `security` on the operation)."""
    public_gets = {
        path: operation["get"]
        for path, operation in app.openapi()["paths"].items()
        if "get" in operation and path.startswith("/v1/") and not operation["get"]["security"]
    }
    assert set(public_gets) >= {
        "/v1/articles",
        "/v1/articles/{slug}",
        "/v1/tags",
        "/v1/tags/{slug}",
        "/v1/sources",
        "/v1/sources/{slug}",
        "/v1/sync",
    }
    for path, operation in public_gets.items():
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert {"if-none-match", "if-modified-since"} <= headers, path
        assert "304" in operation["responses"], path


def test_if_none_match_rules(client: RecordingClient, published: dict[str, Any]) -> None:
    url = "/v1/articles"
    etag = client.get(url).headers["etag"]
    for header, status in (
        (etag, 304),
        (f"W/{etag}", 304),  # weak comparison (RFC 9110 §13.1.2)
        (f'"other", {etag}', 304),
        ("*", 304),
        ('"other"', 200),
        ("garbage", 200),
    ):
        assert client.get(url, headers={"If-None-Match": header}).status_code == status, header
    # If-None-Match decides when present: a matching date does not rescue a stale ETag.
    last_modified = client.get(url).headers["last-modified"]
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert client.get(url, headers=both).status_code == 200


def test_if_modified_since_rules(client: RecordingClient, published: dict[str, Any]) -> None:
    url = "/v1/tags"
    modified = email.utils.parsedate_to_datetime(client.get(url).headers["last-modified"])
    for since, status in (
        (modified, 304),
        (modified + timedelta(days=1), 304),
        (modified - timedelta(seconds=1), 200),
    ):
        header = email.utils.format_datetime(since, usegmt=True)
        assert client.get(url, headers={"If-Modified-Since": header}).status_code == status
    assert client.get(url, headers={"If-Modified-Since": "not a date"}).status_code == 200


def test_last_modified_moves_with_writes(
    client: RecordingClient, editor_headers: dict[str, str], published: dict[str, Any]
) -> None:
    before = client.get("/v1/tags")
    time.sleep(1.05)  # Last-Modified has whole seconds
    make_tag(client, editor_headers, "sport")
    after = client.get("/v1/tags", headers={"If-Modified-Since": before.headers["last-modified"]})
    assert after.status_code == 200
    assert [t["slug"] for t in after.json()["data"]] == ["news", "sport"]
    assert email.utils.parsedate_to_datetime(
        after.headers["last-modified"]
    ) > email.utils.parsedate_to_datetime(before.headers["last-modified"])


def test_editor_and_authenticated_responses_are_private(
    client: RecordingClient, editor_headers: dict[str, str], published: dict[str, Any]
) -> None:
    url = f"/v1/editor/articles/{published['id']}"
    read = client.get(url, headers=editor_headers)
    assert read.status_code == 200
    assert read.headers["cache-control"] == "private, no-store"
    assert read.headers["etag"] == '"1"'
    assert "last-modified" not in read.headers
    missing = client.get(
        "/v1/editor/articles/00000000-0000-0000-0000-000000000000", headers=editor_headers
    )
    assert missing.status_code == 404
    assert missing.headers["cache-control"] == "private, no-store"
    created = client.post(
        "/v1/editor/tags", json={"slug": "x", "names": {"en": "X"}}, headers=editor_headers
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "private, no-store"
    # Errors of public routes are not stamped cacheable.
    gone = client.get("/v1/articles/no-such-article")
    assert gone.status_code == 404
    assert "cache-control" not in gone.headers
    assert "etag" not in gone.headers


# ---- the response cache ---------------------------------------------------------------


@contextmanager
def _configured(settings: Settings, **changes: Any) -> Iterator[tuple[FastAPI, RecordingClient]]:
    """An app built with changed settings, and a client on it (no 500 allowed either)."""
    app = create_app(settings.model_copy(update=changes))
    with RecordingClient(app) as client:
        yield app, client
        assert client.server_errors == []


@pytest.fixture
def statements(app: FastAPI) -> Iterator[list[str]]:
    with _statements(app) as seen:
        yield seen


def test_hits_and_304s_render_nothing(
    client: RecordingClient, published: dict[str, Any], statements: list[str]
) -> None:
    first = client.get("/v1/articles")
    assert len(statements) > 0
    statements.clear()
    hit = client.get("/v1/articles")
    not_modified = client.get("/v1/articles", headers={"If-None-Match": first.headers["etag"]})
    assert (hit.status_code, not_modified.status_code) == (200, 304)
    assert hit.content == first.content
    assert hit.headers["etag"] == first.headers["etag"]
    assert statements == []


def test_a_write_is_visible_on_the_next_request(
    client: RecordingClient, editor_headers: dict[str, str], published: dict[str, Any]
) -> None:
    assert [a["id"] for a in client.get("/v1/articles").json()["data"]] == [published["id"]]
    newer = make_article(client, editor_headers, title="Друга", published_at=datetime.now(UTC))
    ids = [a["id"] for a in client.get("/v1/articles").json()["data"]]
    assert ids == [newer["id"], published["id"]]
    unpublished = client.post(
        f"/v1/editor/articles/{newer['id']}/unpublish", headers=editor_headers
    )
    assert unpublished.status_code == 200
    assert [a["id"] for a in client.get("/v1/articles").json()["data"]] == [published["id"]]
    assert client.get(f"/v1/articles/{_slug(newer)}").status_code == 404


def test_a_write_through_another_process_is_visible_on_the_next_request(
    client: RecordingClient,
    editor_headers: dict[str, str],
    published: dict[str, Any],
    settings: Settings,
) -> None:
    """Two app instances (as two worker processes would be) share only the database."""
    assert len(client.get("/v1/articles").json()["data"]) == 1
    with RecordingClient(create_app(settings)) as other:
        newer = make_article(other, editor_headers, title="З іншого процесу")
        assert other.server_errors == []
    ids = [a["id"] for a in client.get("/v1/articles").json()["data"]]
    assert ids == [newer["id"], published["id"]]


def test_a_scheduled_article_ends_cached_pages_when_it_goes_live(
    client: RecordingClient, editor_headers: dict[str, str], published: dict[str, Any]
) -> None:
    go_live = datetime.now(UTC) + timedelta(seconds=1)
    scheduled = make_article(client, editor_headers, title="Заплановано", published_at=go_live)
    before = client.get("/v1/articles")
    assert [a["id"] for a in before.json()["data"]] == [published["id"]]
    assert client.get("/v1/articles").headers["etag"] == before.headers["etag"]

    time.sleep(max(0.0, (go_live - datetime.now(UTC)).total_seconds()) + 0.05)

    after = client.get("/v1/articles", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200  # no write happened: the go-live time alone ended it
    assert [a["id"] for a in after.json()["data"]] == [scheduled["id"], published["id"]]
    assert email.utils.parsedate_to_datetime(after.headers["last-modified"]) >= go_live.replace(
        microsecond=0
    )


def test_the_cache_key_is_the_request_and_its_language(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    cache = app.state.response_cache
    uk = client.get("/v1/tags", params={"limit": 5})
    en = client.get("/v1/tags", params={"limit": 5}, headers={"Accept-Language": "en"})
    assert (uk.json()["data"][0]["name"], en.json()["data"][0]["name"]) == ("Новини", "News")
    assert (uk.headers["content-language"], en.headers["content-language"]) == ("uk", "en")
    assert len(cache) == 2
    # Explicit lang= is the same representation as the negotiated one: a separate key, same
    # bytes; parameter order does not matter.
    assert client.get("/v1/tags?lang=en&limit=5").content == en.content
    size = len(cache)
    assert client.get("/v1/tags?limit=5&lang=en").content == en.content
    assert len(cache) == size


def test_next_link_is_right_for_each_host(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    for title in ("Один", "Два"):
        make_article(client, editor_headers, title=title)
    links = [
        client.get("/v1/articles", params={"limit": 1}, headers={"Host": host}).headers["link"]
        for host in ("a.example", "b.example", "a.example")
    ]
    assert [link.split("?")[0] for link in links] == [
        "<http://a.example/v1/articles",
        "<http://b.example/v1/articles",
        "<http://a.example/v1/articles",
    ]


def test_the_cache_stays_within_its_byte_budget(
    editor_headers: dict[str, str], settings: Settings
) -> None:
    budget = 6_000
    with (
        _configured(settings, response_cache_bytes=budget) as (app, client),
        _statements(app) as statements,
    ):
        make_tag(client, editor_headers, "news")
        for limit in range(1, 41):
            assert client.get("/v1/tags", params={"limit": limit}).status_code == 200
        cache = app.state.response_cache
        assert 0 < cache.bytes <= budget
        assert 0 < len(cache) < 40
        statements.clear()
        client.get("/v1/tags", params={"limit": 40})
        assert statements == []  # the most recent entry is still there
        client.get("/v1/tags", params={"limit": 1})
        assert statements != []  # the oldest was evicted: rendered again


def test_with_the_cache_off_validators_still_work(
    editor_headers: dict[str, str], settings: Settings
) -> None:
    with _configured(settings, response_cache_bytes=0) as (app, client):
        make_tag(client, editor_headers, "news")
        first = client.get("/v1/tags")
        conditional = client.get("/v1/tags", headers={"If-None-Match": first.headers["etag"]})
        assert conditional.status_code == 304
        assert len(app.state.response_cache) == 0


def test_a_configured_stale_window_is_honoured(
    editor_headers: dict[str, str], settings: Settings
) -> None:
    """RESPONSE_CACHE_VERSION_MAX_AGE trades freshness for fewer checks, only when asked."""
    with _configured(settings, response_cache_version_max_age=60.0) as (_, client):
        make_tag(client, editor_headers, "news")
        assert [t["slug"] for t in client.get("/v1/tags").json()["data"]] == ["news"]
        make_tag(client, editor_headers, "sport")
        assert [t["slug"] for t in client.get("/v1/tags").json()["data"]] == ["news"]
        assert client.get("/v1/tags", params={"limit": 5}).json()["data"][1]["slug"] == "sport"


def test_an_unreachable_database_makes_the_check_fall_back_to_rendering() -> None:
    """The route then reports the outage (503); the check itself never fails a request."""
    settings = Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:9/none")
    probe = VersionProbe(settings.database_url)
    public_cache = PublicCache(
        settings=settings,
        probe=probe,
        cache=ResponseCache(1000, 1000),
        minimum_compress_size=1000,
    )
    try:
        assert asyncio.run(public_cache._version()) is None
    finally:
        probe.dispose()


def test_odd_long_queries_are_answered_but_not_kept(app: FastAPI, client: RecordingClient) -> None:
    response = client.get("/v1/tags", params={"junk": "x" * 5000})
    assert response.status_code == 200
    assert "etag" in response.headers
    assert len(app.state.response_cache) == 0
    client.get("/v1/tags")
    assert len(app.state.response_cache) == 1


def test_under_concurrent_reads_every_write_shows_on_the_next_request(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Readers keep the cache hot (and share version checks) while a writer, after each
    write, reads at once: its write must be there every time."""
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            assert client.get("/v1/tags", params={"limit": 100}).status_code == 200

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    try:
        for n in range(15):
            make_tag(client, editor_headers, f"tag-{n:02d}")
            slugs = [
                t["slug"] for t in client.get("/v1/tags", params={"limit": 100}).json()["data"]
            ]
            assert slugs == [f"tag-{i:02d}" for i in range(n + 1)]
    finally:
        stop.set()
        for reader in readers:
            reader.join()


def test_a_shared_check_only_answers_requests_that_arrived_before_it_started() -> None:
    readings = iter([1, 2, 3])
    running = threading.Event()
    release = threading.Event()

    def read() -> int:
        running.set()
        assert release.wait(5)
        return next(readings)

    async def scenario() -> list[int]:
        shared = SharedReading(lambda: asyncio.to_thread(read))
        early = [asyncio.create_task(shared.read()) for _ in range(3)]
        await asyncio.to_thread(running.wait, 5)  # the first check is under way
        late = [asyncio.create_task(shared.read()) for _ in range(2)]
        await asyncio.sleep(0.01)
        release.set()
        return [await task for task in early + late]

    # Three early requests share check 1; the two that came while it ran share check 2.
    assert asyncio.run(scenario()) == [1, 1, 1, 2, 2]


def test_head_is_the_get_without_its_body(
    client: RecordingClient, editor_headers: dict[str, str], published: dict[str, Any]
) -> None:
    for url in ("/v1/articles", f"/v1/articles/{_slug(published)}", "/v1/tags"):
        got = client.get(url)
        head = client.head(url)
        assert head.status_code == 200, url
        assert head.content == b""
        for name in ("etag", "content-type", "content-length", "cache-control"):
            assert head.headers[name] == got.headers[name], (url, name)
        conditional = client.head(url, headers={"If-None-Match": got.headers["etag"]})
        assert conditional.status_code == 304
    assert client.head("/v1/articles/no-such-article").status_code == 404
