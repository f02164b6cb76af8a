"""Request bodies at the edge (issue 26, findings 5 and 6): a deadline for a body to arrive
(408), no body taken in before the request is known to be wanted (a GET's 413, a
stranger's 401), and a connection closed after a response that left its body unread, so
no stale answer is ever sent on it. Over real sockets to a real `dopys serve`."""

import socket
import time
from contextlib import suppress
from pathlib import Path

import httpx2
import orjson
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.serving import LINGER_SECONDS
from app.models import KeyScope
from tests.processes import serving
from tests.reliability.conftest import new_key
from tests.reliability.raw_http import (
    Response,
    all_cut,
    connect,
    head,
    never_finished,
    others_answered,
    read_response,
    rest_until_closed,
    rss_kb,
    server_process,
)

TAG = orjson.dumps({"slug": "slow", "names": {"uk": "Повільно"}})


def _is_problem(response: Response, status: int) -> None:
    assert response.status == status, response.body
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert orjson.loads(response.body)["status"] == status
    assert response.headers["connection"] == "close"


def _post_tag(auth: str, *lines: str) -> bytes:
    return head("POST", "/v1/editor/tags", auth, "Content-Type: application/json", *lines)


def test_a_body_that_does_not_arrive_in_time_is_cut_with_a_408(
    database_url: str, db: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """The server waited for a stalled body as long as the client kept the connection."""
    auth = f"Authorization: Bearer {new_key(sessions)}"
    settings = {"HTTP_BODY_TIMEOUT": "1", "HTTP_BODY_MIN_RATE": "1000"}
    with serving(database_url, tmp_path / "serve.log", **settings) as url:
        # One stalled after 10 of its 100 bytes, one chunked, trickling a byte at a time.
        with connect(url) as stalled, connect(url) as trickle:
            started = time.monotonic()
            stalled.sendall(_post_tag(auth, "Content-Length: 100") + TAG[:10])
            trickle.sendall(_post_tag(auth, "Transfer-Encoding: chunked"))
            trickle.settimeout(0.2)
            response = None
            while response is None and time.monotonic() - started < 5:
                trickle.sendall(b"1\r\n \r\n")
                with suppress(TimeoutError):
                    response = read_response(trickle)
            assert response is not None
            _is_problem(response, 408)
            assert "did not arrive in time" in orjson.loads(response.body)["detail"]
            stalled.settimeout(3)
            _is_problem(read_response(stalled), 408)
            assert 0.9 < time.monotonic() - started < 4
            assert rest_until_closed(stalled, within=LINGER_SECONDS + 2) == b""

        # A body that keeps up the minimum rate goes on past the first second: it is
        # stored, on a connection kept for the next request.
        body = TAG + b" " * 3000
        with connect(url) as sock:
            sock.sendall(_post_tag(auth, f"Content-Length: {len(body)}"))
            started = time.monotonic()
            for n in range(0, len(body), 300):
                sock.sendall(body[n : n + 300])  # 1,500 bytes a second
                time.sleep(0.2)
            assert read_response(sock).status == 201
            assert time.monotonic() - started > 1.5
            sock.sendall(head("GET", "/healthz"))
            assert read_response(sock).status == 200


def test_a_write_is_refused_before_its_body_is_read(
    database_url: str, db: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """FastAPI reads a body before it checks the key: a POST without one waited for its whole
    body before its 401, and a chunked GET's body was read (up to 2 MB) and held."""
    write = f"Authorization: Bearer {new_key(sessions)}"
    read = f"Authorization: Bearer {new_key(sessions, KeyScope.READ)}"
    json = "Content-Type: application/json"
    cases = [
        (head("POST", "/v1/editor/tags", json, "Content-Length: 1000000"), 401),
        (head("POST", "/v1/editor/tags", json, "Transfer-Encoding: chunked"), 401),
        (head("POST", "/v1/editor/tags", read, json, "Content-Length: 1000"), 403),
        (head("POST", "/v1/webhooks", write, json, "Content-Length: 1000"), 403),
        (head("POST", "/v1/imports", "Content-Length: 1000000000"), 401),
        (head("DELETE", "/v1/editor/authors/x", "Transfer-Encoding: chunked"), 401),
        (head("GET", "/v1/articles", "Content-Length: 1000"), 413),
        (head("GET", "/v1/articles", "Transfer-Encoding: chunked"), 413),
    ]
    with serving(database_url, tmp_path / "serve.log") as url:
        for request, status in cases:
            with connect(url, timeout=2) as sock:
                sock.sendall(request)  # and not a byte of the body
                _is_problem(read_response(sock), status)
                assert rest_until_closed(sock, within=LINGER_SECONDS + 2) == b"", request


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
            with connect(url) as sock:
                sock.sendall(_post_tag(auth, f"Content-Length: {len(body)}"))
                with suppress(ConnectionResetError, BrokenPipeError):
                    sock.sendall(body + head("GET", "/healthz"))
                    sock.shutdown(socket.SHUT_WR)
                response = read_response(sock)
                rest = rest_until_closed(sock, within=LINGER_SECONDS + 2)
                assert response.status == 413
                assert rest is not None and b" 431 " not in rest, rest
                assert rest == b""
                _is_problem(response, 413)


def test_a_hundred_never_finished_uploads_are_cut_and_their_memory_given_back(
    database_url: str, db: Engine, tmp_path: Path
) -> None:
    """100 chunked bodies of 1.9 MB that never ended added 144 MB to the server, kept after
    the connections closed, and were all still open 23 s later."""
    with server_process(database_url, tmp_path / "serve.log", HTTP_BODY_TIMEOUT="2") as (pid, url):
        with httpx2.Client(base_url=url, timeout=2) as http:
            warm_up = never_finished(url, 10)  # every code path has run once
            others_answered(http)
            assert None not in all_cut(warm_up, within=LINGER_SECONDS + 2)
            for sock in warm_up:
                sock.close()
            before = rss_kb(pid)

            sockets = never_finished(url, 100)
            others_answered(http)
        answers = all_cut(sockets, within=2 + LINGER_SECONDS + 2)
        for sock in sockets:
            sock.close()
        assert [a is not None for a in answers] == [True] * 100, "still open"
        statuses = {a[:12] for a in answers if a is not None}
        assert statuses <= {b"HTTP/1.1 401", b"HTTP/1.1 413", b""}, statuses

        deadline = time.monotonic() + 5
        while (after := rss_kb(pid)) > before * 1.1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert after <= before * 1.1, (before, after)
