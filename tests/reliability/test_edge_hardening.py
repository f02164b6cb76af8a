"""The edge of the service (issue 16, findings 6, 9 and 11): one reading of the API key
for authentication and rate limits, proxy headers believed only from configured proxies,
body limits on routes that never read their body, and a deadline for request headers."""

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.main import create_app
from app.models import KeyScope
from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.processes import serving
from tests.reliability.conftest import live_server, new_key, write_endpoints


@pytest.fixture
def make_client(database_url: str, db: Engine) -> Iterator[Any]:
    clients: list[RecordingClient] = []

    def make(**overrides: Any) -> RecordingClient:
        client = RecordingClient(create_app(Settings(database_url=database_url, **overrides)))
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
        assert client.server_errors == []


def _tag(n: object) -> dict[str, Any]:
    return {"slug": f"tag-{n}", "names": {"uk": f"Тег {n}"}}


# ---- finding 6: one key, one bucket ----------------------------------------------------


def _raw_post(url: str, authorization: list[bytes], body: bytes) -> int:
    """A POST with these exact Authorization header bytes (HTTP clients, the test client
    included, re-encode or refuse some of them): its status code."""
    host, port = url.removeprefix("http://").split(":")
    lines = b"".join(b"Authorization: " + value + b"\r\n" for value in authorization)
    request = (
        b"POST /v1/editor/tags HTTP/1.1\r\nHost: " + host.encode() + b"\r\n" + lines
        + b"Content-Type: application/json\r\nConnection: close\r\n"
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        status_line = sock.makefile("rb").readline()
    return int(status_line.split()[1])


def test_variants_of_a_key_are_refused_not_given_fresh_buckets(
    database_url: str, db: Engine, sessions: sessionmaker[Session]
) -> None:
    """The bucket hashed the token before the `str.strip()` authentication applied, so
    `KEY\\xa0`, `KEY\\x85`... authenticated as KEY with a fresh budget each."""
    settings = Settings(
        database_url=database_url,
        write_rate_limit_per_minute=2,
        write_rate_limit_per_ip_per_minute=0,
    )
    key = new_key(sessions).encode()
    body = orjson.dumps(_tag("x"))
    with live_server(create_app(settings)) as url:
        plain = b"Bearer " + key
        assert [_raw_post(url, [plain], body) for _ in range(2)] == [201, 409]
        assert _raw_post(url, [plain], body) == 429
        # What HTTP itself allows around a value reads as the same key: the same, spent
        # bucket.
        for same in (b"Bearer  " + key, b"bearer " + key, b"BEARER " + key + b" \t"):
            assert _raw_post(url, [same], body) == 429, same
        # Unicode spaces (latin-1 bytes that str.strip() removes) make no other key: 401,
        # never a fresh budget.
        for suffix in (b"\xa0", b"\x85", b"\xa0\xa0"):
            for variant in (plain + suffix, b"Bearer " + suffix + key):
                assert _raw_post(url, [variant], body) == 401, variant
        # Control characters: the HTTP parser's 400, or our 401; never a fresh budget.
        for suffix in (b"\x0b", b"\x0c", b"\x1c", b"\x1f"):
            assert _raw_post(url, [plain + suffix], body) in (400, 401), suffix
        assert _raw_post(url, [plain, plain], body) == 401  # two keys are no key


def _post_as(url: str, forwarded_for: str) -> int:
    response = httpx2.post(
        f"{url}/v1/editor/tags",
        json=_tag(forwarded_for),
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def test_forwarded_for_is_believed_only_from_configured_proxies(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """uvicorn trusted X-Forwarded-For from loopback by default: rotating it gave fresh
    per-IP buckets. `dopys serve` now believes it only from FORWARDED_ALLOW_IPS."""
    limits = {"WRITE_RATE_LIMIT_PER_IP_PER_MINUTE": "2", "WRITE_RATE_LIMIT_PER_MINUTE": "0"}
    with serving(database_url, tmp_path / "default.log", **limits) as url:
        codes = [_post_as(url, f"203.0.113.{n}") for n in range(4)]
    assert codes == [401, 401, 429, 429]  # one client, 127.0.0.1, whatever it claims

    with serving(
        database_url, tmp_path / "proxy.log", FORWARDED_ALLOW_IPS="127.0.0.1", **limits
    ) as url:
        codes = [_post_as(url, f"203.0.113.{n}") for n in range(4)]
    assert codes == [401, 401, 401, 401]  # behind a trusted proxy: four clients


# ---- finding 9: body limits on every route that accepts a body --------------------------


def test_an_oversized_streamed_body_is_a_413_on_routes_that_never_read_it(
    make_client: Any, sessions: sessionmaker[Session]
) -> None:
    """With Content-Length these were 413s; chunked, DELETE and unpublish ran normally."""
    client = make_client(max_body_bytes=1000)
    # An admin key: a weaker one is refused at the headers on webhook routes (403).
    headers = {"Authorization": f"Bearer {new_key(sessions, KeyScope.ADMIN)}"}
    article = make_article(client, headers)
    path = f"/v1/editor/articles/{article['id']}"

    def chunks() -> Iterator[bytes]:
        yield b"x" * 600
        yield b"x" * 600

    for method, url in (("DELETE", path), ("POST", f"{path}/unpublish")):
        response = client.request(method, url, content=chunks(), headers=headers)
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.json()["detail"] == "The request body exceeds the limit of 1000 bytes."
    assert client.get(f"/v1/articles/{article['translations'][0]['slug']}").status_code == 200

    for endpoint in write_endpoints(client.app):  # type: ignore[arg-type]
        if endpoint.path.startswith("/v1/imports"):
            continue  # its own, larger limit, counted as the import reads (test_limits.py)
        response = client.request(
            endpoint.method, endpoint.url({}), content=chunks(), headers=headers
        )
        assert response.status_code == 413, (endpoint, response.text)

    # A streamed body within the limit reaches the route whole.
    small = client.request("DELETE", path, content=iter([b" ", b" "]), headers=headers)
    assert small.status_code == 204
    tag = client.post(
        "/v1/editor/tags", content=iter([b'{"slug": "streamed", ', b'"names": {"uk": "x"}}']),
        headers={**headers, "Content-Type": "application/json"},
    )  # fmt: skip
    assert tag.status_code == 201, tag.text


# ---- finding 11: a deadline for request headers --------------------------------------


def _closed_after(sock: socket.socket, drip: bytes, every: float, give_up: float) -> float | None:
    """Sends `drip` every `every` seconds; the seconds until the server closed, or None."""
    started = time.monotonic()
    sock.settimeout(every)
    while time.monotonic() - started < give_up:
        try:
            if drip:
                sock.sendall(drip)
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - started
    return None


def test_a_connection_sending_its_headers_slowly_is_closed_after_the_limit(
    database_url: str, db: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    key = new_key(sessions)
    with serving(database_url, tmp_path / "serve.log", HTTP_HEADER_TIMEOUT="1") as url:
        port = int(url.rsplit(":", 1)[1])

        with socket.create_connection(("127.0.0.1", port)) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            closed = _closed_after(slow, b"X-Slow: 1\r\n", every=0.2, give_up=5)
        assert closed is not None and 0.6 < closed < 2.5, closed

        with socket.create_connection(("127.0.0.1", port)) as silent:
            closed = _closed_after(silent, b"", every=0.2, give_up=5)
        assert closed is not None and closed < 2.5, closed

        with socket.create_connection(("127.0.0.1", port)) as huge:  # quick, but endless
            huge.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Huge: ")
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                huge.sendall(b"x" * 200_000)
            huge.settimeout(2)
            assert (
                huge.makefile("rb").readline()
                == b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            )

        # Honest clients are unaffected: keep-alive requests, and a body that takes longer
        # than the header deadline once its headers are in.
        with httpx2.Client(base_url=url) as http:
            for _ in range(3):
                assert http.get("/healthz").status_code == 200
                time.sleep(0.6)
        body = b'{"slug": "slow-body", "names": {"uk": "x"}}'
        with socket.create_connection(("127.0.0.1", port)) as upload:
            upload.sendall(
                b"POST /v1/editor/tags HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + key.encode() + b"\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            for n in range(0, len(body), 10):
                upload.sendall(body[n : n + 10])
                time.sleep(0.5)
            upload.settimeout(5)
            assert upload.recv(4096).startswith(b"HTTP/1.1 201 ")
