"""Selective invalidation: a write makes stale only the cached responses that show what it
changed (app.core.changes). The rest keep being served from the cache, with the same ETag,
and every change still shows on the next request."""

import re
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient, route_statements
from tests.factories import make_article, make_source, make_tag
from tests.imports.helpers import article_line, ndjson, post_import
from tests.reliability.conftest import bearer, new_key, reset_database


def _slug(article: dict[str, Any]) -> str:
    return str(article["translations"][0]["slug"])


class Snapshot:
    """ETags of URLs read once, to tell which are still served from the cache later."""

    def __init__(self, app: FastAPI, client: RecordingClient, urls: list[str]) -> None:
        self.app, self.client = app, client
        self.etags = {}
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.text)
            self.etags[url] = response.headers["etag"]

    def cached(self, *urls: str) -> None:
        """Each is answered from the cache: no SQL, the same ETag, and a 304 for it."""
        with route_statements(self.app) as seen:
            for url in urls:
                response = self.client.get(url)
                assert response.status_code == 200, url
                assert response.headers["etag"] == self.etags[url], url
                assert (
                    self.client.get(url, headers={"If-None-Match": self.etags[url]}).status_code
                    == 304
                )
        assert seen == [], urls

    def changed(self, *urls: str) -> dict[str, Any]:
        """Each shows something new; returns the new bodies (text) by URL."""
        bodies = {}
        for url in urls:
            response = self.client.get(url, headers={"If-None-Match": self.etags[url]})
            assert response.status_code in (200, 404), url
            if response.status_code == 200:
                assert response.headers["etag"] != self.etags[url], url
            bodies[url] = response.text
        return bodies


@pytest.fixture
def newsroom(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, Any]:
    """Tags x and y, source s; article b (tag y, source s) public; article a (tag x) a draft."""
    make_tag(client, editor_headers, "x", uk="Ікс", en="Ex")
    make_tag(client, editor_headers, "y", uk="Ігрек", en="Why")
    make_source(client, editor_headers, "s", en="Source")
    b = make_article(
        client, editor_headers, title="Стаття Бе", tags=["y"], citations=[{"source": "s"}]
    )
    a = make_article(client, editor_headers, title="Стаття А", tags=["x"], status="draft")
    return {"a": a, "b": b}


def _ids(client: RecordingClient, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_a_publish_leaves_other_articles_tag_lists_and_other_feeds_cached(
    app: FastAPI,
    client: RecordingClient,
    editor_headers: dict[str, str],
    newsroom: dict[str, Any],
) -> None:
    a, b = newsroom["a"], newsroom["b"]
    kept = [
        f"/v1/articles/{_slug(b)}",
        "/v1/tags",
        "/v1/tags/y",
        "/v1/sources",
        "/v1/articles?tag=y",
        "/v1/articles?source=s",
        "/v1/feeds/uk/tags/y.rss",
        "/v1/pages",
    ]
    moved = ["/v1/articles", "/v1/articles?tag=x", "/v1/feeds/uk.json", "/v1/feeds/uk/tags/x.atom"]
    snapshot = Snapshot(app, client, kept + moved)

    published = client.post(f"/v1/editor/articles/{a['id']}/publish", headers=editor_headers)
    assert published.status_code == 200, published.text

    snapshot.cached(*kept)
    snapshot.changed(*moved)
    assert _ids(client, "/v1/articles") == [a["id"], b["id"]]
    assert _ids(client, "/v1/articles?tag=x") == [a["id"]]
    assert client.get(f"/v1/articles/{_slug(a)}").json()["title"] == "Стаття А"
    assert a["id"] in client.get("/v1/feeds/uk.json").text


def test_dropping_a_tag_updates_that_tags_list(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str], newsroom: dict[str, Any]
) -> None:
    a, b = newsroom["a"], newsroom["b"]
    assert client.post(f"/v1/editor/articles/{a['id']}/publish", headers=editor_headers).is_success
    snapshot = Snapshot(
        app, client, ["/v1/articles?tag=x", "/v1/articles?tag=y", f"/v1/articles/{_slug(b)}"]
    )
    assert _ids(client, "/v1/articles?tag=x") == [a["id"]]

    moved = client.patch(
        f"/v1/editor/articles/{a['id']}", json={"tags": ["y"]}, headers=editor_headers
    )
    assert moved.status_code == 200, moved.text

    snapshot.cached(f"/v1/articles/{_slug(b)}")
    snapshot.changed("/v1/articles?tag=x", "/v1/articles?tag=y")
    assert _ids(client, "/v1/articles?tag=x") == []
    assert _ids(client, "/v1/articles?tag=y") == [a["id"], b["id"]]


def test_renaming_a_tag_updates_every_response_that_shows_its_name(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str], newsroom: dict[str, Any]
) -> None:
    """a has tags x and y, so the list of y shows x's name; c (tag z) shows nothing of x."""
    a, b = newsroom["a"], newsroom["b"]
    make_tag(client, editor_headers, "z", uk="Зет")
    c = make_article(client, editor_headers, title="Стаття Це", tags=["z"])
    tagged = client.patch(
        f"/v1/editor/articles/{a['id']}",
        json={"tags": ["x", "y"], "status": "published"},
        headers=editor_headers,
    )
    assert tagged.status_code == 200, tagged.text
    showing = [
        f"/v1/articles/{_slug(a)}",
        "/v1/articles?tag=y",
        "/v1/articles",
        "/v1/tags",
        "/v1/tags/x",
        "/v1/feeds/uk/tags/x.rss",
        "/v1/search?q=Стаття",
    ]
    kept = [f"/v1/articles/{_slug(b)}", f"/v1/articles/{_slug(c)}", "/v1/articles?tag=z"]
    snapshot = Snapshot(app, client, showing + kept)

    renamed = client.patch(
        "/v1/editor/tags/x", json={"names": {"uk": "Нова назва"}}, headers=editor_headers
    )
    assert renamed.status_code == 200, renamed.text

    snapshot.cached(*kept)
    bodies = snapshot.changed(*showing)
    assert [url for url, body in bodies.items() if "Нова назва" not in body] == []


def test_unpublishing_and_deleting_an_article(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str], newsroom: dict[str, Any]
) -> None:
    a, b = newsroom["a"], newsroom["b"]
    assert client.post(f"/v1/editor/articles/{a['id']}/publish", headers=editor_headers).is_success
    page_a, page_b = f"/v1/articles/{_slug(a)}", f"/v1/articles/{_slug(b)}"
    lists = ["/v1/articles", "/v1/articles?tag=x"]
    snapshot = Snapshot(app, client, [page_a, page_b, "/v1/articles?tag=y", *lists])

    assert client.post(
        f"/v1/editor/articles/{a['id']}/unpublish", headers=editor_headers
    ).is_success
    snapshot.cached(page_b, "/v1/articles?tag=y")
    snapshot.changed(page_a, *lists)
    assert client.get(page_a).status_code == 404
    assert _ids(client, "/v1/articles?tag=x") == []

    assert client.post(f"/v1/editor/articles/{a['id']}/publish", headers=editor_headers).is_success
    snapshot = Snapshot(app, client, [page_a, page_b, *lists])
    assert client.delete(f"/v1/editor/articles/{a['id']}", headers=editor_headers).is_success
    snapshot.cached(page_b)
    snapshot.changed(page_a, *lists)
    assert client.get(page_a).status_code == 404
    assert _ids(client, "/v1/articles") == [b["id"]]


def test_a_slug_taken_by_another_article_changes_what_it_finds(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """`/v1/articles/{slug}` prefers the reader's language: a new English article with the
    slug a Ukrainian one has is what an English reader finds next."""
    uk = make_article(client, editor_headers, title="Спільна", translations=None)
    slug = _slug(uk)
    english = {"Accept-Language": "en"}
    first = client.get(f"/v1/articles/{slug}", headers=english)
    assert first.json()["id"] == uk["id"]
    en = make_article(
        client,
        editor_headers,
        lang="en",
        translations=[{"lang": "en", "title": "Shared", "slug": slug, "body": "<p>Text.</p>"}],
    )
    assert client.get(f"/v1/articles/{slug}", headers=english).json()["id"] == en["id"]


def test_an_import_changes_what_it_writes_and_nothing_else(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str], newsroom: dict[str, Any]
) -> None:
    b = newsroom["b"]
    post_import(client, editor_headers, ndjson([article_line(1, tags=["x"])]))
    imported = _ids(client, "/v1/articles?tag=x")
    assert len(imported) == 1
    kept = [f"/v1/articles/{_slug(b)}", "/v1/articles?tag=y", "/v1/tags"]
    snapshot = Snapshot(app, client, [*kept, "/v1/articles", "/v1/articles?tag=x"])

    post_import(client, editor_headers, ndjson([article_line(2, tags=["x"])]))
    snapshot.cached(*kept)
    snapshot.changed("/v1/articles", "/v1/articles?tag=x")
    assert len(_ids(client, "/v1/articles?tag=x")) == 2

    # Re-imported without the tag: the tag's list loses it.
    snapshot = Snapshot(app, client, [*kept, "/v1/articles?tag=x"])
    post_import(client, editor_headers, ndjson([article_line(1, tags=[])]))
    snapshot.cached(*kept)
    snapshot.changed("/v1/articles?tag=x")
    assert len(_ids(client, "/v1/articles?tag=x")) == 1

    # A new tag is a change of the tag list.
    snapshot = Snapshot(app, client, ["/v1/tags", f"/v1/articles/{_slug(b)}"])
    new_tag = {"slug": "fresh", "names": {"uk": "Свіже"}}
    post_import(client, editor_headers, ndjson([article_line(3, tags=[new_tag])]))
    snapshot.cached(f"/v1/articles/{_slug(b)}")
    assert "fresh" in snapshot.changed("/v1/tags")["/v1/tags"]


def test_a_write_that_left_no_journal_row_makes_everything_stale(
    app: FastAPI, client: RecordingClient, db: Engine, newsroom: dict[str, Any]
) -> None:
    """As from an older server, or a database restored under this one: nothing is trusted."""
    url = f"/v1/articles/{_slug(newsroom['b'])}"
    snapshot = Snapshot(app, client, [url])
    with db.begin() as conn:
        conn.execute(text("UPDATE sync_state SET seq = seq + 1"))
    with route_statements(app) as seen:
        assert client.get(url).status_code == 200
    assert seen != []
    snapshot.cached(url)  # once rendered again, a hit until the next write


# ---- cached answers equal fresh ones, whatever the writes ------------------------------

TAGS = ["x", "y", "z"]
ARTICLES = 4
TAG_SETS = st.lists(st.sampled_from(TAGS), unique=True, max_size=2)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("publish"), st.integers(0, ARTICLES - 1)),
        st.tuples(st.just("unpublish"), st.integers(0, ARTICLES - 1)),
        st.tuples(st.just("tags"), st.integers(0, ARTICLES - 1), TAG_SETS),
        st.tuples(st.just("retitle"), st.integers(0, ARTICLES - 1), st.sampled_from(["en", "uk"])),
        st.tuples(st.just("delete"), st.integers(0, ARTICLES - 1)),
        st.tuples(st.just("rename"), st.sampled_from(TAGS), st.integers(0, 9)),
        st.tuples(st.just("import"), st.integers(0, 2), TAG_SETS),
    ),
    min_size=1,
    max_size=8,
)


def _write(client: RecordingClient, headers: dict[str, str], ids: list[str], op: Any) -> None:
    kind, target = op[0], op[1]
    base = f"/v1/editor/articles/{ids[target]}" if isinstance(target, int) else ""
    if kind == "publish":
        response = client.post(f"{base}/publish", headers=headers)
    elif kind == "unpublish":
        response = client.post(f"{base}/unpublish", headers=headers)
    elif kind == "tags":
        response = client.patch(base, json={"tags": op[2]}, headers=headers)
    elif kind == "retitle":
        title = {"title": f"Заголовок {op[2]} {target}", "body": "<p>Нове.</p>"}
        response = client.put(f"{base}/translations/{op[2]}", json=title, headers=headers)
    elif kind == "delete":
        response = client.delete(base, headers=headers)
    elif kind == "rename":
        names = {"names": {"uk": f"Тег {target} {op[2]}", "en": f"Tag {target}"}}
        response = client.patch(f"/v1/editor/tags/{target}", json=names, headers=headers)
    else:
        post_import(client, headers, ndjson([article_line(op[1], tags=op[2])]))
        return
    assert response.status_code in (200, 201, 204, 404), (op, response.text)  # 404: deleted


def _timeless(body: str) -> str:
    """An empty feed is dated by the clock when rendered (it has no newest item)."""
    return re.sub(r"<lastBuildDate>[^<]*</lastBuildDate>", "", body)


def _urls(ids: list[str]) -> list[str]:
    urls = [
        "/v1/articles",
        "/v1/articles?limit=2",
        "/v1/tags",
        "/v1/tags/x",
        "/v1/sources",
        "/v1/search?q=Стаття",
        "/v1/feeds/uk.json",
        "/v1/feeds/en/tags/y.rss",
        "/v1/pages",
    ]
    urls += [f"/v1/articles?tag={tag}" for tag in TAGS]
    urls += [f"/v1/articles?source=s&lang={lang}" for lang in ("uk", "en")]
    urls += [f"/v1/articles/stattia-{n}" for n in range(ARTICLES)]
    urls += [f"/v1/articles/stattia-{n}/related" for n in range(ARTICLES)]
    return urls


@given(operations=OPERATIONS, writer_caches=st.booleans())
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_cached_answer_is_the_fresh_one_after_any_writes(
    db: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    operations: list[Any],
    writer_caches: bool,
) -> None:
    """A cache-on app and a cache-off app on the same database answer alike after each
    write, whichever of them (as two processes would) wrote it."""
    reset_database(db)
    headers = bearer(new_key(sessions))
    cached_app = create_app(settings)
    fresh_app = create_app(settings.model_copy(update={"response_cache_bytes": 0}))
    with RecordingClient(cached_app) as cached, RecordingClient(fresh_app) as fresh:
        writer = cached if writer_caches else fresh
        for tag in TAGS:
            make_tag(writer, headers, tag, uk=f"Тег {tag}", en=f"Tag {tag}")
        make_source(writer, headers, "s", en="Source")
        ids = [
            make_article(
                writer,
                headers,
                title=f"Стаття {n}",
                tags=TAGS[n % 3 : n % 3 + 1 + n % 2],
                citations=[{"source": "s"}] if n % 2 else [],
                status="published" if n < 3 else "draft",
                translations=[
                    {
                        "lang": "uk",
                        "title": f"Стаття {n}",
                        "slug": f"stattia-{n}",
                        "body": "<p>Т.</p>",
                    }
                ],
            )["id"]
            for n in range(ARTICLES)
        ]
        urls = _urls(ids)
        for op in [None, *operations]:
            if op is not None:
                _write(writer, headers, ids, op)
            for url in urls:
                got, want = cached.get(url), fresh.get(url)
                assert (got.status_code, _timeless(got.text)) == (
                    want.status_code,
                    _timeless(want.text),
                ), (op, url)
        assert cached.server_errors == fresh.server_errors == []
