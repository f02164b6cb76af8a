"""Stored renderings (app.articles.fragments) answer byte for byte what rendering each
response from its rows answers (app.articles.rendering: the code path the public endpoints
took before), for every reader language and fallback, after any sequence of writes; and
every write leaves each public article with a current stored rendering (so reads use them).
"""

import json
import uuid
from typing import Any

from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.articles import repository as repo
from app.articles.fragments import renderer_of
from app.articles.rendering import Bundle, list_items
from app.articles.schemas import SUMMARY_FIELDS
from app.core.db import make_session_factory
from app.models import Article, ArticleRendering, ArticleStatus, ArticleType, utcnow
from app.search.schemas import SearchHit
from tests.conftest import RecordingClient
from tests.factories import hours_ago, iso, make_author, make_source, make_tag
from tests.imports.helpers import NDJSON, article_line, import_file, ndjson
from tests.imports.test_wordpress import FIXTURES
from tests.reliability.conftest import bearer, new_key, reset_database

READERS = ("uk", "en")
LIST_FIELDS = [None, "body", "id,title,tags,translations"]
WORDS = ["Київ", "Kyiv", "фронт", "front"]

Op = tuple[Any, ...]
OPS = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 2), st.sampled_from(READERS), st.sampled_from(WORDS)),
    st.tuples(st.just("drop"), st.integers(0, 2), st.sampled_from(READERS)),
    st.tuples(
        st.just("patch"),
        st.integers(0, 2),
        st.fixed_dictionaries(
            {},
            optional={
                "tags": st.lists(st.sampled_from(["news", "war", "kyiv"]), unique=True),
                "authors": st.lists(st.sampled_from(["anna", "desk"]), unique=True),
                "citations": st.lists(
                    st.builds(lambda s: {"source": s}, st.sampled_from(["isw", "bbc"])),
                    max_size=2,
                ),
                "visibility": st.sampled_from(["public", "restricted"]),
                "featured": st.booleans(),
                "original_lang": st.sampled_from(READERS),
                "cover_image": st.just({"url": "https://img.example/c.jpg", "width": 1200}),
            },
        ),
    ),
    st.tuples(st.sampled_from(["publish", "unpublish", "delete"]), st.integers(0, 2)),
    # An import line: a new article, or the same wire story again with other tags.
    st.tuples(
        st.just("import"),
        st.integers(0, 1),
        st.lists(st.sampled_from(["news", "war", "kyiv"]), unique=True),
    ),
    st.tuples(
        st.just("rename"),
        st.sampled_from(["tags/news", "tags/war", "sources/isw", "authors/anna"]),
        st.sampled_from(READERS),
        st.sampled_from(WORDS),
    ),
)
START = st.lists(
    st.lists(st.sampled_from(READERS), min_size=1, unique=True), min_size=3, max_size=3
)


def _setup(client: RecordingClient, headers: dict[str, str]) -> None:
    make_tag(client, headers, "news", uk="Новини", en="News")
    make_tag(client, headers, "war", uk="Війна")  # no English name: the fallback
    make_tag(client, headers, "kyiv", en="Kyiv")  # no Ukrainian name
    make_source(client, headers, "isw", en="ISW")
    make_source(client, headers, "bbc", uk="Бі-Бі-Сі", en="BBC")
    make_author(client, headers, "anna", names={"uk": "Анна", "en": "Anna"})
    make_author(client, headers, "desk", names={"uk": "Редакція"})


def _create(client: RecordingClient, headers: dict[str, str], langs: list[str], n: int) -> str:
    payload = {
        "original_lang": langs[0],
        "status": "published",
        "published_at": iso(hours_ago(n + 1)),
        "tags": ["news", "war"][: n % 3],
        "citations": [{"source": "isw"}] if n else [],
        "authors": ["anna"] if n != 1 else [],
        "translations": [
            {"lang": lang, "title": f"{lang} {n} Київ", "excerpt": "", "body": f"<p>{n}</p>"}
            for lang in langs
        ],
    }
    response = client.post("/v1/editor/articles", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _apply(client: RecordingClient, headers: dict[str, str], ids: list[str], op: Op) -> None:
    """One editor write; refused ones (a 4xx: the last translation, a deleted article) are
    writes too, that must change nothing."""
    kind, base = op[0], "/v1/editor/articles"
    if kind == "import":
        line = article_line(op[1], tags=[{"slug": tag} for tag in op[2]])
        client.post("/v1/imports", content=ndjson([line]), headers={**headers, **NDJSON})
        return
    if kind == "rename":
        client.patch(f"/v1/editor/{op[1]}", json={"names": {op[2]: op[3]}}, headers=headers)
        return
    url = f"{base}/{ids[op[1]]}"
    if kind == "put":
        translation = {
            "title": f"{op[3]} {op[2]}",
            "excerpt": f"{op[3]}\tвступ",
            "body": "<p>Б</p>",
        }
        client.put(f"{url}/translations/{op[2]}", json=translation, headers=headers)
    elif kind == "drop":
        client.delete(f"{url}/translations/{op[2]}", headers=headers)
    elif kind == "patch":
        client.patch(url, json=op[2], headers=headers)
    elif kind == "publish":
        client.post(f"{url}/publish", json={"published_at": iso(hours_ago(0.5))}, headers=headers)
    elif kind == "unpublish":
        client.post(f"{url}/unpublish", headers=headers)
    else:
        client.delete(url, headers=headers)


def _assert_items(body: bytes, expected: bytes, what: object) -> None:
    """The page's `data` array holds exactly `expected`."""
    assert body.startswith(b'{"data":[' + expected + b"]"), what


def _list_reference(
    session: Session, reader: str, payload: dict[str, Any], fields: set[str], hit: bool = False
) -> bytes:
    """The page's items as the code path before stored renderings made them."""
    ids = [uuid.UUID(item["id"]) for item in payload["data"]]
    locale = renderer_of(session).locale(reader)
    items: list[BaseModel] = list_items(session, ids, locale, with_body="body" in fields)
    if hit:
        items = [
            SearchHit(**item.model_dump(), rank=got.get("rank", 0), snippet=got.get("snippet"))
            for item, got in zip(items, payload["data"], strict=True)
        ]
    return b",".join(item.model_dump_json(include=fields).encode() for item in items)


def _check_lists(client: RecordingClient, session: Session, reader: str) -> None:
    for extra in LIST_FIELDS:
        params: dict[str, str] = {"lang": reader, "limit": "50"}
        fields = set(SUMMARY_FIELDS)
        if extra == "body":
            params["include"], fields = "body", fields | {"body"}
        elif extra is not None:
            params["fields"], fields = extra, set(extra.split(","))
        for url in ("/v1/articles", "/v1/sync", "/v1/articles?tag=news"):
            response = client.get(url, params=params)
            assert response.status_code == 200, response.text
            expected = _list_reference(session, reader, response.json(), fields)
            _assert_items(response.content, expected, (url, params))
        search = client.get("/v1/search", params={**params, "q": "Київ"})
        hit_fields = fields | (
            {"rank", "snippet"} if extra != "id,title,tags,translations" else set()
        )
        expected = _list_reference(session, reader, search.json(), hit_fields, hit=True)
        _assert_items(search.content, expected, ("search", params))


def _check_pages(client: RecordingClient, session: Session, reader: str) -> None:
    now = utcnow()
    renderer = renderer_of(session)
    public = dict(
        session.execute(select(Article.id, Article.type).where(repo.is_public(now))).all()
    )
    bundle = Bundle.load(session, list(public), with_body=True)
    for article_id, type_ in public.items():
        translated = {v.lang: v.slug for v in bundle.translations[article_id]}
        for slug in translated.values():
            for explicit in (False, True):
                params = {"lang": reader} if explicit else {}
                headers = {"Accept-Language": reader}
                url = f"/v1/{type_}s/{slug}"  # /v1/articles/..., /v1/pages/...
                response = client.get(url, params=params, headers=headers)
                assert response.status_code == 200, response.text
                # Two articles may share a slug in different languages: the reader's wins.
                found = repo.public_article_id_by_slug(
                    session, slug, now=now, prefer_lang=reader, type_=type_
                )
                assert found is not None
                owner, slug_lang = found
                langs = {v.lang for v in bundle.translations[owner]}
                lang = reader if explicit and reader in langs else slug_lang
                expected = bundle.full(owner, renderer.locale(reader), lang)
                assert response.content == expected.model_dump_json().encode()
                assert response.headers["content-language"] == lang
        if type_ == ArticleType.ARTICLE:
            related = client.get(f"/v1/articles/{next(iter(translated.values()))}/related")
            assert related.status_code == 200


def _check_everything(app: FastAPI, client: RecordingClient) -> None:
    reads: sessionmaker[Session] = app.state.read_sessions
    with reads() as session:
        _assert_all_rendered(session)
        for reader in READERS:
            _check_lists(client, session, reader)
            _check_pages(client, session, reader)


def _assert_all_rendered(session: Session) -> None:
    """Every article that can be public has current stored renderings: the writes made
    them, so the checks above compared the stored path, not the fallback."""
    renderer = renderer_of(session)
    current = (
        select(func.count())
        .select_from(ArticleRendering)
        .where(
            ArticleRendering.article_id == Article.id,
            ArticleRendering.seq == Article.change_seq,
            ArticleRendering.fingerprint == renderer.fingerprint,
        )
        .scalar_subquery()
    )
    stale = session.scalars(
        select(Article.id).where(Article.status == ArticleStatus.PUBLISHED, current == 0)
    ).all()
    assert stale == []


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(start=START, ops=st.lists(OPS, min_size=1, max_size=5))
def test_stored_renderings_answer_what_rendering_the_rows_answers(
    app: FastAPI, db: Engine, client: RecordingClient, start: list[list[str]], ops: list[Op]
) -> None:
    reset_database(db)
    headers = bearer(new_key(make_session_factory(db, write=True)))
    _setup(client, headers)
    ids = [_create(client, headers, langs, n) for n, langs in enumerate(start)]
    for op in [("start",), *ops]:
        if op[0] != "start":
            _apply(client, headers, ids, op)
        _check_everything(app, client)


# Other systems' exports and feeds (tests/imports/fixtures, reconstructed from the formats'
# specifications and real exports): WordPress with Polylang and WPML, Ghost with members-only
# posts, RSS, Atom and JSON Feed with their own languages, tags and authors.
REAL_MATERIAL = [
    ("wordpress-polylang.xml", "wxr", {}),
    ("wordpress-https.xml", "wxr", {}),
    ("wordpress-wpml.xml", "wxr", {}),
    ("ghost-5-members.json", "ghost", {"site_url": "https://tyzhnevyk.example.org"}),
    ("newsroom.atom", "atom", {}),
    ("podcast.rss", "rss", {}),
    ("feed.json", "jsonfeed", {}),
]


def test_stored_renderings_of_real_exports_answer_as_rendering_the_rows_does(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Right after each import (nothing warm), every public response is what the previous
    code path renders from the rows, for both readers."""
    for name, fmt, params in REAL_MATERIAL:
        report = import_file(client, editor_headers, FIXTURES / name, fmt, **params)
        assert report["created"] > 0, (name, report)
        _check_everything(app, client)


def test_a_rendering_left_stale_is_not_served(
    app: FastAPI, client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """A stored rendering whose article changed behind the renderer's back (here: a raw
    UPDATE that moves its change number) is rendered anew on the read, never served."""
    _setup(client, editor_headers)
    article_id = _create(client, editor_headers, ["uk"], 1)
    writes: sessionmaker[Session] = app.state.write_sessions
    with writes() as session:
        session.execute(update(ArticleRendering).values(item=b'{"stale":true}'))
        session.commit()
    assert b"stale" in client.get("/v1/articles", params={"lang": "uk"}).content
    with writes() as session:
        session.execute(update(Article).values(change_seq=Article.change_seq + 1000))
        session.commit()
    body = client.get("/v1/articles", params={"lang": "uk", "_": "2"}).content
    assert b"stale" not in body
    assert json.loads(body)["data"][0]["id"] == article_id
