"""Body size limits (413) and rate limits (429 with Retry-After), in memory and in Redis."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.ratelimit import PERIOD_SECONDS, _gcra
from app.main import create_app
from app.models import Tag
from tests.conftest import RecordingClient
from tests.reliability.conftest import (
    bearer,
    live_server,
    new_key,
    public_get_operations,
    write_endpoints,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


def _tag(n: int | str) -> dict[str, Any]:
    return {"slug": f"tag-{n}", "names": {"uk": f"Тег {n}"}}


def _tags(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Tag)) or 0)


@pytest.fixture
def make_client(database_url: str, db: Engine) -> Iterator[Any]:
    """A client for an app built with the given settings (on the test's database)."""
    clients: list[RecordingClient] = []

    def make(**overrides: Any) -> RecordingClient:
        client = RecordingClient(create_app(Settings(database_url=database_url, **overrides)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
        assert client.server_errors == []


def _assert_problem(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# ---- body size -------------------------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_whether_declared_or_streamed(
    make_client: Any, sessions: sessionmaker[Session], db: Engine
) -> None:
    client = make_client(max_body_bytes=1000)
    headers = {**bearer(new_key(sessions)), "Content-Type": "application/json"}
    small = b'{"slug": "fits", "names": {"uk": "x"}}' + b" " * 900
    big = b'{"slug": "over", "names": {"uk": "x"}}' + b" " * 1000

    assert client.post("/v1/editor/tags", content=small, headers=headers).status_code == 201
    declared = client.post("/v1/editor/tags", content=big, headers=headers)
    assert _assert_problem(declared, 413)["detail"] == (
        "The request body exceeds the limit of 1000 bytes."
    )
    streamed = client.post("/v1/editor/tags", content=iter([big[:600], big[600:]]), headers=headers)
    _assert_problem(streamed, 413)
    assert _tags(db) == 1


def test_chunked_uploads_to_a_real_server_are_counted_as_they_arrive(
    database_url: str, sessions: sessionmaker[Session], db: Engine
) -> None:
    app = create_app(Settings(database_url=database_url, max_body_bytes=10_000))
    headers = {**bearer(new_key(sessions)), "Content-Type": "application/json"}
    chunks = [b'{"slug": "chunked", "names": {"uk": "x"}}'] + [b" " * 1000] * 50
    with live_server(app) as url, httpx2.Client(base_url=url) as http:
        response = http.post("/v1/editor/tags", content=iter(chunks), headers=headers)
        _assert_problem(response, 413)
        assert http.post("/v1/editor/tags", json=_tag(1), headers=headers).status_code == 201
    assert _tags(db) == 1


def test_imports_have_their_own_larger_body_limit(
    make_client: Any, sessions: sessionmaker[Session]
) -> None:
    client = make_client(max_body_bytes=1000, max_import_bytes=5000)
    headers = {**bearer(new_key(sessions)), "Content-Type": "application/x-ndjson"}
    line = b'{"external_id": "x"}\n'
    fits = client.post("/v1/imports", content=line * 150, headers=headers)
    assert fits.status_code != 413  # 3,150 bytes: past the JSON limit, within the import one
    _assert_problem(client.post("/v1/imports", content=line * 300, headers=headers), 413)
    _assert_problem(client.post("/v1/editor/tags", content=line * 150, headers=headers), 413)


# ---- rate limits -----------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[dict[str, Any]]:
    """Settings for each store; Redis keys get a prefix of their own, removed afterwards."""
    if request.param == "memory":
        yield {}
        return
    prefix = f"dopys-test:{uuid.uuid4().hex}"
    yield {"redis_url": REDIS_URL, "rate_limit_prefix": prefix}
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_writes_are_limited_per_key_with_retry_after(
    make_client: Any, sessions: sessionmaker[Session], store: dict[str, Any], db: Engine
) -> None:
    client = make_client(write_rate_limit_per_minute=3, **store)
    first, second = bearer(new_key(sessions)), bearer(new_key(sessions))
    codes = [client.post("/v1/editor/tags", json=_tag(n), headers=first).status_code for n in "abc"]
    assert codes == [201, 201, 201]

    refused = client.post("/v1/editor/tags", json=_tag("d"), headers=first)
    body = _assert_problem(refused, 429)
    assert refused.headers["Retry-After"] == "20"  # one write per 60/3 s once the burst is spent
    assert body["detail"] == "Rate limit exceeded; retry in 20 s."
    assert client.post("/v1/editor/tags", json=_tag("e"), headers=second).status_code == 201
    assert client.get("/v1/tags", headers=first).status_code == 200  # reads are not limited
    assert _tags(db) == 4


def test_writes_are_limited_per_client_ip_across_keys(
    make_client: Any, sessions: sessionmaker[Session], store: dict[str, Any], db: Engine
) -> None:
    client = make_client(write_rate_limit_per_ip_per_minute=4, **store)
    keys = [bearer(new_key(sessions)) for _ in range(3)]
    codes = [
        client.post("/v1/editor/tags", json=_tag(n), headers=keys[n % 3]).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 201, 201]
    assert client.post("/v1/editor/tags", json=_tag(9), headers=keys[2]).status_code == 429
    # Requests without a key spend the IP's budget too, so key rotation does not help.
    assert client.post("/v1/editor/tags", json=_tag(10)).status_code == 429
    assert _tags(db) == 4


def test_imports_are_limited_apart_from_other_writes(
    make_client: Any, sessions: sessionmaker[Session], store: dict[str, Any]
) -> None:
    client = make_client(import_rate_limit_per_minute=1, write_rate_limit_per_minute=1, **store)
    key = bearer(new_key(sessions))
    headers = {**key, "Content-Type": "application/x-ndjson"}
    assert client.post("/v1/imports", content=b"{}\n", headers=headers).status_code != 429
    _assert_problem(client.post("/v1/imports", content=b"{}\n", headers=headers), 429)
    assert client.post("/v1/editor/tags", json=_tag(1), headers=key).status_code == 201


def test_workers_sharing_redis_share_one_budget(
    database_url: str, sessions: sessionmaker[Session], store: dict[str, Any], db: Engine
) -> None:
    if not store:
        pytest.skip("in-process counters are per worker by design")
    settings = Settings(database_url=database_url, write_rate_limit_per_minute=2, **store)
    key = bearer(new_key(sessions))
    with (
        RecordingClient(create_app(settings)) as worker_a,
        RecordingClient(create_app(settings)) as worker_b,
    ):
        assert worker_a.post("/v1/editor/tags", json=_tag(1), headers=key).status_code == 201
        assert worker_b.post("/v1/editor/tags", json=_tag(2), headers=key).status_code == 201
        assert worker_a.post("/v1/editor/tags", json=_tag(3), headers=key).status_code == 429
        assert worker_b.post("/v1/editor/tags", json=_tag(4), headers=key).status_code == 429
    assert _tags(db) == 2


def test_an_unreachable_redis_lets_writes_through(
    make_client: Any, sessions: sessionmaker[Session], db: Engine
) -> None:
    client = make_client(write_rate_limit_per_minute=1, redis_url="redis://127.0.0.1:1/0")
    key = bearer(new_key(sessions))
    codes = [client.post("/v1/editor/tags", json=_tag(n), headers=key).status_code for n in "ab"]
    assert codes == [201, 201]
    assert _tags(db) == 2


def test_the_bucket_refills_one_request_per_interval() -> None:
    limit = 6
    interval = PERIOD_SECONDS / limit
    tat = None
    for _ in range(limit):  # a full burst at t=0
        wait, tat = _gcra(tat, 0.0, limit)
        assert wait == 0.0
    assert _gcra(tat, 0.0, limit)[0] == pytest.approx(interval)
    assert _gcra(tat, interval - 0.5, limit)[0] == pytest.approx(0.5)
    assert _gcra(tat, interval, limit)[0] == 0.0
    assert _gcra(tat, PERIOD_SECONDS, limit) == (0.0, PERIOD_SECONDS + interval)


def test_the_spec_documents_the_limits_on_every_write_and_503_on_every_database_route(
    app: FastAPI,
) -> None:
    spec = app.openapi()
    for endpoint in write_endpoints(app):
        responses = spec["paths"][endpoint.path][endpoint.method.lower()]["responses"]
        assert {"400", "413", "429", "503"} <= set(responses), endpoint
        assert PROBLEM_MEDIA_TYPE in responses["429"]["content"]
    for path, operation in public_get_operations(spec):
        assert "503" in operation["responses"], path
    assert "503" not in spec["paths"]["/healthz"]["get"]["responses"]
