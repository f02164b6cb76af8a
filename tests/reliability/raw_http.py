"""Raw HTTP/1.1 over sockets, for requests no client library sends (a body that stalls,
a chunked upload never finished), and the `dopys serve` process (its pid, for its memory)
that answers them."""

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx2

from tests.processes import start_server


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


def connect(url: str, timeout: float = 5) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    return sock


def head(method: str, path: str, *lines: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: dopys", *lines, "", ""]).encode()


def read_response(sock: socket.socket) -> Response:
    """One response (its body by Content-Length, as every problem+json has)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    top, rest = data.split(b"\r\n\r\n", 1)
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
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


def rest_until_closed(sock: socket.socket, within: float) -> bytes | None:
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


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


CHUNK = 1_900_000


def never_finished(url: str, n: int) -> list[socket.socket]:
    """`n` anonymous chunked uploads, GETs and POSTs, that send a 1.9 MB chunk and stop."""
    sockets = []
    for i in range(n):
        sock = connect(url, timeout=2)
        sockets.append(sock)
        method, path = ("GET", "/v1/articles") if i % 2 else ("POST", "/v1/editor/tags")
        with suppress(OSError):
            sock.sendall(head(method, path, "Transfer-Encoding: chunked"))
            sock.sendall(b"%x\r\n" % CHUNK + b"x" * CHUNK)
    return sockets


def all_cut(sockets: list[socket.socket], within: float) -> list[bytes | None]:
    deadline = time.monotonic() + within
    return [rest_until_closed(sock, max(deadline - time.monotonic(), 0.01)) for sock in sockets]


def others_answered(http: httpx2.Client) -> None:
    """Public reads still answer, all three within two seconds."""
    started = time.monotonic()
    for path in ("/healthz", "/v1/articles", "/v1/tags"):
        assert http.get(path).status_code == 200
    assert time.monotonic() - started < 2


@contextmanager
def server_process(database_url: str, log: Path, **env: str) -> Iterator[tuple[int, str]]:
    """`dopys serve` (one worker: the process that answers) as its pid and URL."""
    server, url = start_server(database_url, log, env)
    try:
        yield server.pid, url
    finally:
        server.terminate()
        server.wait(timeout=10)
