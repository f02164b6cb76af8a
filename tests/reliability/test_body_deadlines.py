"""Request bodies at the edge (issue 26, findings 5 and 6): a deadline for a body to arrive
(408), no body taken in before the request is known to be wanted (a GET's 413, a
stranger's 401), and a connection closed after a response that left its body unread, so
no stale answer is ever sent on it. Over real sockets to a real `dopys serve`."""

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx2
import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.serving import LINGER_SECONDS
from app.models import KeyScope
from tests.processes import serving, start_server
from tests.reliability.conftest import new_key

TAG = orjson.dumps({"slug": "slow", "names": {"uk": "Повільно"}})


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def _connect(url: str, timeout: float = 5) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    return sock


def _head(method: str, path: str, *lines: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: dopys", *lines, "", ""]).encode()


def _read_response(sock: socket.socket) -> Response:
    """One response (its body by Content-Length, as every problem+json has)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, value = line.split(":", 1)
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        rest += chunk
    return Response(int(status_line.split()[1]), headers, rest[:length])


def _rest_until_closed(sock: socket.socket, within: float) -> bytes | None:
    """What the server still sends until it closes the connection, or None if it is still
    open after `within` seconds."""
    deadline = time.monotonic() + within
    rest = b""
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            return None
        except ConnectionResetError:
            return rest
        if not chunk:
            return rest
        rest += chunk
    return None


def _is_problem(response: Response, status: int) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert orjson.loads(response.body)["status"] == status
    assert response.headers["connection"] == "close"


def _post_tag(auth: str, *lines: str) -> bytes:
    return _head("POST", "/v1/editor/tags", auth, "Content-Type: application/json", *lines)


def test_a_body_that_does_not_arrive_in_time_is_cut_with_a_408(
    database_url: str, db: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The server waited for a stalled body as long as the client kept the connection."""
    auth = f"Authorization: Bearer {new_key(sessions)}"
    settings = {"HTTP_BODY_TIMEOUT": "1", "HTTP_BODY_MIN_RATE": "1000"}
    with serving(database_url, tmp_path / "serve.log", **settings) as url:
        # One stalled after 10 of its 100 bytes, one chunked, trickling a byte at a time.
        with _connect(url) as stalled, _connect(url) as trickle:
            started = time.monotonic()
            stalled.sendall(_post_tag(auth, "Content-Length: 100") + TAG[:10])
            trickle.sendall(_post_tag(auth, "Transfer-Encoding: chunked"))
            trickle.settimeout(0.2)
            response = None
            while response is None and time.monotonic() - started < 5:
                trickle.sendall(b"1\r\n \r\n")
                with suppress(TimeoutError):
                    response = _read_response(trickle)
            assert response is not None
            _is_problem(response, 408)
            assert "did not arrive in time" in orjson.loads(response.body)["detail"]
            stalled.settimeout(3)
            _is_problem(_read_response(stalled), 408)
            assert 0.9 < time.monotonic() - started < 4
            assert _rest_until_closed(stalled, within=LINGER_SECONDS + 2) == b""

        # A body that keeps up the minimum rate goes on past the first second: it is
        # stored, on a connection kept for the next request.
        body = TAG + b" " * 3000
        with _connect(url) as sock:
            sock.sendall(_post_tag(auth, f"Content-Length: {len(body)}"))
            started = time.monotonic()
            for n in range(0, len(body), 300):
                sock.sendall(body[n : n + 300])  # 1,500 bytes a second
                time.sleep(0.2)
            assert _read_response(sock).status == 201
            assert time.monotonic() - started > 1.5
            sock.sendall(_head("GET", "/healthz"))
            assert _read_response(sock).status == 200


def test_a_write_is_refused_before_its_body_is_read(
    database_url: str, db: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """FastAPI reads a body before it checks the key: a POST without one waited for its whole
    body before its 401, and a chunked GET's body was read (up to 2 MB) and held."""
    write = f"Authorization: Bearer {new_key(sessions)}"
    read = f"Authorization: Bearer {new_key(sessions, KeyScope.READ)}"
    json = "Content-Type: application/json"
    cases = [
        (_head("POST", "/v1/editor/tags", json, "Content-Length: 1000000"), 401),
        (_head("POST", "/v1/editor/tags", json, "Transfer-Encoding: chunked"), 401),
        (_head("POST", "/v1/editor/tags", read, json, "Content-Length: 1000"), 403),
        (_head("POST", "/v1/webhooks", write, json, "Content-Length: 1000"), 403),
        (_head("POST", "/v1/imports", "Content-Length: 1000000000"), 401),
        (_head("DELETE", "/v1/editor/authors/x", "Transfer-Encoding: chunked"), 401),
        (_head("GET", "/v1/articles", "Content-Length: 1000"), 413),
        (_head("GET", "/v1/articles", "Transfer-Encoding: chunked"), 413),
    ]
    with serving(database_url, tmp_path / "serve.log") as url:
        for request, status in cases:
            with _connect(url, timeout=2) as sock:
                sock.sendall(request)  # and not a byte of the body
                _is_problem(_read_response(sock), status)
                assert _rest_until_closed(sock, within=LINGER_SECONDS + 2) == b"", request


def test_after_a_413_the_connection_is_closed_and_never_answers_a_stale_431(
    database_url: str, db: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The body bytes after an early 413 were counted as the next request's headers: past
    64 KiB, that request got a 431 (4 of 12 tries in the probe). Now the 413 closes the
    connection; the body still coming is dropped and nothing else is ever answered."""
    auth = f"Authorization: Bearer {new_key(sessions)}"
    body = b"x" * 200_001
    with serving(database_url, tmp_path / "serve.log", MAX_BODY_BYTES="200000") as url:
        for _ in range(12):
            with _connect(url) as sock:
                sock.sendall(_post_tag(auth, f"Content-Length: {len(body)}"))
                with suppress(ConnectionResetError, BrokenPipeError):
                    sock.sendall(body + _head("GET", "/healthz"))
                    sock.shutdown(socket.SHUT_WR)
                response = _read_response(sock)
                rest = _rest_until_closed(sock, within=LINGER_SECONDS + 2)
                assert response.status == 413
                assert rest is not None and b" 431 " not in rest, rest
                assert rest == b""
                _is_problem(response, 413)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


CHUNK = 1_900_000


def _never_finished(url: str, n: int) -> list[socket.socket]:
    """`n` anonymous chunked uploads, GETs and POSTs, that send a 1.9 MB chunk and stop."""
    sockets = []
    for i in range(n):
        sock = _connect(url, timeout=2)
        sockets.append(sock)
        method, path = ("GET", "/v1/articles") if i % 2 else ("POST", "/v1/editor/tags")
        with suppress(OSError):
            sock.sendall(_head(method, path, "Transfer-Encoding: chunked"))
            sock.sendall(b"%x\r\n" % CHUNK + b"x" * CHUNK)
    return sockets


def _all_cut(sockets: list[socket.socket], within: float) -> list[bytes | None]:
    deadline = time.monotonic() + within
    return [_rest_until_closed(sock, max(deadline - time.monotonic(), 0.01)) for sock in sockets]


def _others_answered(http: httpx2.Client) -> None:
    started = time.monotonic()
    for path in ("/healthz", "/v1/articles", "/v1/tags"):
        assert http.get(path).status_code == 200
    assert time.monotonic() - started < 2


@contextmanager
def _server(database_url: str, log: Path, **env: str) -> Iterator[tuple[int, str]]:
    server, url = start_server(database_url, log, env)
    try:
        yield server.pid, url
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_hundred_never_finished_uploads_are_cut_and_their_memory_given_back(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """100 chunked bodies of 1.9 MB that never ended added 144 MB to the server, kept after
    the connections closed, and were all still open 23 s later."""
    with _server(database_url, tmp_path / "serve.log", HTTP_BODY_TIMEOUT="2") as (pid, url):
        with httpx2.Client(base_url=url, timeout=2) as http:
            warm_up = _never_finished(url, 10)  # every code path has run once
            _others_answered(http)
            assert None not in _all_cut(warm_up, within=LINGER_SECONDS + 2)
            for sock in warm_up:
                sock.close()
            before = _rss_kb(pid)

            sockets = _never_finished(url, 100)
            _others_answered(http)
        answers = _all_cut(sockets, within=2 + LINGER_SECONDS + 2)
        for sock in sockets:
            sock.close()
        assert [a is not None for a in answers] == [True] * 100, "still open"
        statuses = {a[:12] for a in answers if a is not None}
        assert statuses <= {b"HTTP/1.1 401", b"HTTP/1.1 413", b""}, statuses

        deadline = time.monotonic() + 5
        while (after := _rss_kb(pid)) > before * 1.1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert after <= before * 1.1, (before, after)
