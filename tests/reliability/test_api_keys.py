"""API keys: every route that writes (found by walking the app) demands a write key."""

import hashlib
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import unit_of_work
from app.keys.service import find_active_key, revoke_key
from app.models import ApiKey, KeyScope
from tests.conftest import RecordingClient
from tests.factories import make_article, make_source, make_tag
from tests.reliability.conftest import Endpoint, bearer, endpoints, new_key, write_endpoints


def _snapshot(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return [
            conn.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
            for table in ("articles", "article_translations", "tags", "tag_names", "sources")
        ]


def _guarded_endpoints(app: FastAPI) -> list[Endpoint]:
    """Every route that writes, and every read the spec marks as needing a key."""
    spec = app.openapi()["paths"]
    reads = [
        e
        for e in endpoints(app)
        if e.method == "GET" and spec.get(e.path, {}).get("get", {}).get("security")
    ]
    return write_endpoints(app) + reads


def test_every_write_route_rejects_a_missing_an_unknown_and_a_read_only_key(
    app: FastAPI,
    client: RecordingClient,
    editor_headers: dict[str, str],
    reader_headers: dict[str, str],
    db: Engine,
) -> None:
    # Real targets, so that a route which forgot its key check would act (and show it).
    make_tag(client, editor_headers, "news")
    make_source(client, editor_headers, "news")
    article = make_article(client, editor_headers, tags=["news"])
    values = {"article_id": article["id"], "slug": "news", "lang": "uk"}
    guarded = _guarded_endpoints(app)
    assert {(e.method, e.path) for e in guarded} >= {
        ("POST", "/v1/editor/articles"),
        ("DELETE", "/v1/editor/articles/{article_id}"),
        ("PATCH", "/v1/editor/tags/{slug}"),
        ("GET", "/v1/editor/articles/{article_id}"),
    }
    before = _snapshot(db)

    answers = {}
    for endpoint in guarded:
        for who, headers in (
            ("nobody", {}),
            ("unknown", bearer("dps_" + "x" * 43)),
            ("empty", {"Authorization": "Bearer "}),
            ("basic", {"Authorization": "Basic dXNlcjpwYXNz"}),
            ("reader", reader_headers),
        ):
            body = None if endpoint.method == "GET" else {}  # a GET with a body is a 413
            response = client.request(
                endpoint.method, endpoint.url(values), json=body, headers=headers
            )
            answers[(endpoint.method, endpoint.path, who)] = response.status_code
            if response.status_code == 401:
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
    expected = {
        (endpoint.method, endpoint.path, who): 403 if who == "reader" else 401
        for endpoint in guarded
        for who in ("nobody", "unknown", "empty", "basic", "reader")
    }
    assert answers == expected
    assert _snapshot(db) == before


def test_revocation_takes_effect_on_the_next_request(
    client: RecordingClient, sessions: sessionmaker[Session]
) -> None:
    secret = new_key(sessions)
    assert make_tag(client, bearer(secret), "before")["slug"] == "before"
    with unit_of_work(sessions) as session:
        key_id = session.scalar(select(ApiKey.id))
        assert key_id is not None
        revoke_key(session, key_id)
    response = client.post(
        "/v1/editor/tags", json={"slug": "after", "names": {"uk": "Після"}}, headers=bearer(secret)
    )
    assert response.status_code == 401
    assert response.json()["detail"] == "The API key is unknown or revoked."
    assert client.get("/v1/tags/after").status_code == 404


def test_keys_are_stored_only_as_hashes(sessions: sessionmaker[Session]) -> None:
    secret = new_key(sessions, KeyScope.READ)
    with sessions() as session:
        (key,) = session.scalars(select(ApiKey)).all()
        stored = [str(getattr(key, column.key)) for column in ApiKey.__table__.columns]
        assert not any(secret in value for value in stored)
        assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert find_active_key(session, secret) == key
        assert find_active_key(session, secret[:-1]) is None
        assert find_active_key(session, key.key_hash) is None
