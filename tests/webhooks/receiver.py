"""A real HTTP receiver on loopback that records what it is sent and verifies each message
with `standardwebhooks`, the Standard Webhooks project's own library (not our code)."""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic()
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered
    path: str = "/hook"

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def verified(self, secret: str) -> dict[str, Any]:
        """The payload, once standardwebhooks has checked its signature and timestamp."""
        payload: dict[str, Any] = Webhook(secret).verify(self.body, self.headers)
        return payload


class Receiver:
    def __init__(self, port: int = 0, host: str = "127.0.0.1") -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []  # answered in turn; 200 once used up
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(
                        Received(time.monotonic(), {k.lower(): v for k, v in self.headers.items()},
                                 body, status, self.path)
                    )  # fmt: skip
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.url = f"http://{host}:{self.server.server_address[1]}/hook"

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def types(self) -> list[str]:
        return [orjson.loads(r.body)["type"] for r in self.accepted()]

    def wait_for(self, condition: Callable[["Receiver"], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out; received: {[r.body[:200] for r in self.received]}"
                )
            time.sleep(0.05)

    def wait_count(self, count: int, timeout: float = 20) -> list[Received]:
        self.wait_for(lambda r: len(r.accepted()) >= count, timeout)
        return self.accepted()


@contextmanager
def receiving(port: int = 0, host: str = "127.0.0.1") -> Iterator[Receiver]:
    receiver = Receiver(port, host)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


class _ManyAtOnce(ThreadingHTTPServer):
    request_queue_size = 256  # a hundred connects at once, none waiting on a full backlog
    daemon_threads = True


class Trickler:
    """A receiver that reads each message, then answers one byte every `interval` seconds
    (status line first) until the client gives up or the test ends: per-read timeouts
    never fire on it. Records when each request came, its path and its webhook-id."""

    def __init__(self, interval: float) -> None:
        self.seen: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        trickler = self
        answer = b"HTTP/1.1 200 OK\r\nx-pad: " + b"a" * 1000 + b"\r\ncontent-length: 2\r\n\r\nok"

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with trickler._lock:
                    trickler.seen.append((time.monotonic(), self.path, self.headers["webhook-id"]))
                try:
                    for i in range(len(answer)):
                        self.wfile.write(answer[i : i + 1])
                        if trickler._stop.wait(interval):
                            break
                except OSError:  # the client gave up
                    pass
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _ManyAtOnce(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def count(self) -> int:
        with self._lock:
            return len(self.seen)

    def assert_each_once(self, sent: list[str]) -> None:
        """Every message id in `sent` came exactly once, and nothing else came."""
        counts = Counter(message_id for _, _, message_id in self.seen)
        assert set(counts) == set(sent)
        assert set(counts.values()) == {1}, counts.most_common(3)

    def wait_count(self, count: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < count:
            assert time.monotonic() < deadline, f"{self.count()} of {count} arrived"
            time.sleep(0.02)


@contextmanager
def trickling(interval: float) -> Iterator[Trickler]:
    trickler = Trickler(interval)
    thread = threading.Thread(target=trickler.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield trickler
    finally:
        trickler._stop.set()
        trickler.server.shutdown()
        trickler.server.server_close()
