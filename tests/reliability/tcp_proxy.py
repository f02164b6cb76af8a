"""A small TCP proxy on 127.0.0.1 between the app and its database, for cutting the line
in tests: no mocks, the driver sees real resets, refusals and silence."""

import contextlib
import socket
import threading
from types import TracebackType
from typing import Literal

Mode = Literal["up", "down", "silent"]


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the upstream address while `up`. `cut()` drops every open
    connection and closes new ones at once (a server that went away); `silence()` accepts
    new ones but never answers (a network that lost its packets); `restore()` heals it.
    `drop_on(pattern)` drops the connection whose client next sends `pattern`, unsent."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.mode: Mode = "up"
        self.dropped = 0
        self._trigger: bytes | None = None
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self) -> "TcpProxy":
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping = True
        self._thread.join(timeout=5)
        self._listener.close()
        self._close_all()

    def cut(self) -> None:
        self.mode = "down"
        self._close_all()

    def silence(self) -> None:
        self.mode = "silent"
        self._close_all()

    def restore(self) -> None:
        self.mode = "up"
        self._close_all()  # drop the silent ones; live connections were already cut

    def drop_on(self, pattern: bytes) -> None:
        self._trigger = pattern

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            if self.mode == "down":
                _close(client)
            elif self.mode == "silent":
                with self._lock:
                    self._open.add(client)
            else:
                self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        server.settimeout(None)
        with self._lock:
            self._open |= {client, server}
        for src, dst, watch in ((client, server, True), (server, client, False)):
            threading.Thread(target=self._pump, args=(src, dst, watch), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, watch: bool) -> None:
        try:
            while data := src.recv(65536):
                trigger = self._trigger
                if watch and trigger is not None and trigger in data:
                    self._trigger = None
                    self.dropped += 1
                    break
                dst.sendall(data)
        except OSError:
            pass
        _close(src)
        _close(dst)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
