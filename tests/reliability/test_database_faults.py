"""Database faults on a real PostgreSQL, through a TCP proxy the test cuts and restores:
503 problem+json with Retry-After while it is away, recovery without a restart when it is
back, and writes interrupted mid-transaction rolled back whole."""

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.main import create_app
from app.models import Article, ArticleTranslation
from tests.conftest import RecordingClient
from tests.factories import make_article, make_author, make_source, make_tag
from tests.reliability.conftest import (
    baseline_request,
    bearer,
    new_key,
    public_get_operations,
)
from tests.reliability.tcp_proxy import TcpProxy


@pytest.fixture
def proxy(database_url: str, db: Engine) -> Iterator[TcpProxy]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("cutting the connection needs a database server (PostgreSQL)")
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as running:
        yield running


@pytest.fixture
def proxied(database_url: str, proxy: TcpProxy) -> Iterator[RecordingClient]:
    """A client of an app whose every database connection goes through the proxy."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False), database_connect_timeout=2
    )
    with RecordingClient(create_app(settings)) as client:
        yield client


def _assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["Retry-After"] == "5"
    assert response.json()["detail"] == "The database is unreachable; try again shortly."


# One value every public route finds something for: tag, source, author, article and page `news`.
VALUES = {
    "slug": "news", "lang": "uk", "kind": "tags", "format": "rss", "q": "новини",
    "name": "1",  # /v1/sitemaps/tags/1.xml: the first file of tags
}  # fmt: skip


def _public_requests(client: RecordingClient) -> list[tuple[str, dict[str, str]]]:
    """Every public GET in the spec, filled with stored values."""
    spec = client.app.openapi()  # type: ignore[attr-defined]
    return [baseline_request(path, op, VALUES) for path, op in public_get_operations(spec)]


def test_an_unreachable_database_gives_503s_and_the_service_heals_by_itself(
    proxied: RecordingClient, proxy: TcpProxy, sessions: sessionmaker[Session]
) -> None:
    headers = bearer(new_key(sessions))
    make_tag(proxied, headers, "news")
    make_source(proxied, headers, "news")
    make_author(proxied, headers, "news")
    translation = {"lang": "uk", "title": "Новини дня", "slug": "news"}
    make_article(proxied, headers, tags=["news"], translations=[translation])
    page = {"lang": "en", "title": "News desk", "slug": "news"}  # for /v1/pages/{slug}
    make_article(proxied, headers, lang="en", type="page", translations=[page])
    requests = _public_requests(proxied)
    assert len(requests) >= 5
    healthy = {url: proxied.get(url, params=query).status_code for url, query in requests}
    assert set(healthy.values()) == {200}, healthy
    assert proxied.get("/readyz").json() == {"status": "ready"}

    proxy.cut()
    for url, query in requests:
        _assert_unavailable(proxied.get(url, params=query))
    _assert_unavailable(
        proxied.post("/v1/editor/tags", json={"slug": "t", "names": {"uk": "Т"}}, headers=headers)
    )
    ready = proxied.get("/readyz")
    assert (ready.status_code, ready.headers["Retry-After"]) == (503, "5")
    assert proxied.get("/healthz").json() == {"status": "ok"}

    proxy.restore()  # the same app, no restart: the pool notices and reconnects
    assert {url: proxied.get(url, params=query).status_code for url, query in requests} == healthy
    assert proxied.get("/readyz").status_code == 200
    created = proxied.post(
        "/v1/editor/tags", json={"slug": "t", "names": {"uk": "Т"}}, headers=headers
    )
    assert created.status_code == 201


def test_a_silent_database_gives_a_503_after_the_connect_timeout_not_a_hang(
    proxied: RecordingClient, proxy: TcpProxy
) -> None:
    assert proxied.get("/v1/articles").status_code == 200
    proxy.silence()
    started = time.monotonic()
    _assert_unavailable(proxied.get("/v1/articles"))
    assert time.monotonic() - started < 10  # connect timeout 2 s (+ the pool's one retry)
    proxy.restore()
    assert proxied.get("/v1/articles").status_code == 200


def _state(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            int(session.scalar(select(func.count()).select_from(Article)) or 0),
            int(session.scalar(select(func.count()).select_from(ArticleTranslation)) or 0),
            int(session.execute(text("SELECT seq FROM sync_state")).scalar_one()),
        )


@pytest.mark.parametrize(
    "cut_at",
    [b"INSERT INTO article_translations", b"COMMIT"],
    ids=["mid-transaction", "at-commit"],
)
def test_a_create_cut_off_midway_leaves_nothing_behind(
    proxied: RecordingClient,
    proxy: TcpProxy,
    sessions: sessionmaker[Session],
    db: Engine,
    cut_at: bytes,
) -> None:
    headers = bearer(new_key(sessions))
    make_article(proxied, headers, title="Перша")
    before = _state(db)

    proxy.drop_on(cut_at)
    payload = {
        "original_lang": "uk",
        "status": "published",
        "translations": [{"lang": "uk", "title": "Друга"}, {"lang": "en", "title": "Second"}],
    }
    _assert_unavailable(proxied.post("/v1/editor/articles", json=payload, headers=headers))
    assert proxy.dropped == 1
    assert _state(db) == before  # not the article row, not the change number, nothing

    retried = proxied.post("/v1/editor/articles", json=payload, headers=headers)
    assert retried.status_code == 201, retried.text
    assert _state(db) == (before[0] + 1, before[1] + 2, before[2] + 1)


def test_an_edit_cut_off_midway_keeps_the_previous_version_whole(
    proxied: RecordingClient, proxy: TcpProxy, sessions: sessionmaker[Session], db: Engine
) -> None:
    headers = bearer(new_key(sessions))
    article = make_article(proxied, headers, title="Було", body="<p>Було</p>")
    url = f"/v1/editor/articles/{article['id']}"
    before = proxied.get(url, headers=headers).json()

    proxy.drop_on(b"UPDATE article_translations")
    edit = {"title": "Стало", "body": "<p>Стало</p>"}
    _assert_unavailable(proxied.put(f"{url}/translations/uk", json=edit, headers=headers))
    assert proxied.get(url, headers=headers).json() == before
    assert proxied.put(f"{url}/translations/uk", json=edit, headers=headers).status_code == 200
    assert proxied.get(url, headers=headers).json()["version"] == before["version"] + 1


def test_an_import_batch_cut_off_midway_is_rolled_back_whole(
    proxied: RecordingClient, proxy: TcpProxy, sessions: sessionmaker[Session], db: Engine
) -> None:
    headers = {**bearer(new_key(sessions)), "Content-Type": "application/x-ndjson"}
    lines = "\n".join(
        json.dumps(
            {
                "external_id": f"cut-{n}",
                "status": "published",
                "translations": [{"lang": "uk", "title": f"Допис {n}", "body": "<p>Т</p>"}],
            }
        )
        for n in range(20)
    ).encode()
    before = _state(db)

    # Imports COPY new rows: the translations go after the batch's articles were written.
    proxy.drop_on(b"COPY article_translations")
    _assert_unavailable(proxied.post("/v1/imports", content=lines, headers=headers))
    assert proxy.dropped == 1
    assert _state(db) == before  # the batch's articles, translations and change numbers: none

    report = proxied.post("/v1/imports", content=lines, headers=headers).json()
    assert (report["created"], report["failed"]) == (20, 0)
    assert _state(db) == (before[0] + 20, before[1] + 20, before[2] + 20)
