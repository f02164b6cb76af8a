"""How `dopys serve` runs uvicorn: proxy trust, keep-alive, a request-header deadline and
a lingering close.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`), but a connection that
opens and sends its request headers slowly (slowloris) is kept as long as bytes trickle in.
The protocols here give every request a deadline for its complete headers, counted from
when the connection opened or the previous response ended; past it, a connection with no
request in progress is closed. A request whose headers are complete is never cut by it
(bodies have their own deadline, app.core.guards). Headers are also bounded in size (431);
only bytes outside a request body count.

A connection closed while a request body is still coming in (the app answered without
reading it all: a 401, 413 or 408, which say `Connection: close`) is closed the way HTTP
servers do it (RFC 9112 §9.6): the response goes out, then a FIN, and what the client
still sends is read and dropped, never buffered, until it closes its side or
`LINGER_SECONDS` pass. Closing at once with unread bytes would reset the connection, and
the client could lose the response it had not read yet.
"""

import asyncio
from collections.abc import Callable
from typing import Any, cast

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import Settings, get_settings
from app.core.memory import trim_heap

# Request line and headers may take this many bytes (h11's own default is 16 KiB;
# httptools sets no limit of its own).
MAX_HEADER_BYTES = 64 * 1024
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 33\r\n\r\n"
    b"Request header fields too large.\n"
)
# The longest a closed connection goes on reading (and dropping) an unread request body.
LINGER_SECONDS = 2.0
# The heap is trimmed this long after such a connection ends (once for a burst of them).
TRIM_DELAY_SECONDS = 1.0
_trim: asyncio.TimerHandle | None = None


def _trim_soon(loop: asyncio.AbstractEventLoop) -> None:
    """A connection that dropped an unread body took in up to a few hundred KB before its
    refusal; glibc keeps such freed memory (a flood of 100 of them left the process 5%
    larger). Trimming, once a second at most, takes well under a millisecond."""
    global _trim
    if _trim is None:
        _trim = loop.call_later(TRIM_DELAY_SECONDS, _trimmed)


def _trimmed() -> None:
    global _trim
    _trim = None
    trim_heap()


def _nothing() -> None:
    pass


class _Transport:
    """The connection's transport as uvicorn holds it: closing goes through `close`."""

    def __init__(self, transport: asyncio.Transport, close: Callable[[], None]) -> None:
        self._transport = transport
        self._close = close
        self._closing = False

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._close()

    def is_closing(self) -> bool:
        return self._closing or self._transport.is_closing()

    def detach(self) -> None:
        """Once the connection is lost: no reference back to its protocol (a cycle the
        collector would free late, with the request's buffers in it)."""
        self._closing = True
        self._close = _nothing

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _HeaderDeadline:
    """Mixed into uvicorn's protocols (they share these names): `cycle` is the request
    being served, made when its headers are complete. Whether a body is coming in is
    followed through httptools' callbacks (h11's protocol lingers never)."""

    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _socket: asyncio.Transport
    _deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0
    _in_body = False
    _linger: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._socket = cast(asyncio.Transport, transport)  # uvloop's is one, unsubclassed
        super().connection_made(_Transport(self._socket, self._close))  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._linger is not None:
            return  # the rest of a body nobody reads
        cycle, in_body = self.cycle, self._in_body
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not cycle:  # a request's headers are complete
            self._disarm()
        elif self._deadline is not None and not (in_body or self._in_body):
            self._header_bytes += len(data)  # still waiting for the headers
            if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
                self._disarm()
                self.transport.write(_TOO_LARGE)
                self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_body = True  # until on_message_complete, at once for a bodiless request
        super().on_headers_complete()  # type: ignore[misc]

    def on_message_complete(self) -> None:
        self._in_body = False
        super().on_message_complete()  # type: ignore[misc]

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self._busy():  # else a pipelined request is already being served
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._in_body = False
        if self._linger is not None:
            self._linger.cancel()
            _trim_soon(self.loop)
        super().connection_lost(exc)  # type: ignore[misc]
        cast(_Transport, self.transport).detach()

    def _close(self) -> None:
        if not self._in_body or not self._socket.can_write_eof():
            self._socket.close()
            return
        self._disarm()
        self._socket.write_eof()  # after the response, which is already queued
        self._socket.resume_reading()
        self._linger = self.loop.call_later(LINGER_SECONDS, self._socket.close)

    def _busy(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._header_bytes = 0
        if not self.transport.is_closing():
            timeout = get_settings().http_header_timeout
            self._deadline = self.loop.call_later(timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if not self._busy() and not self.transport.is_closing():
            self.transport.close()


class H11WithHeaderDeadline(_HeaderDeadline, H11Protocol):
    pass


class HttpToolsWithHeaderDeadline(_HeaderDeadline, HttpToolsProtocol):
    pass


def server_options(settings: Settings, host: str, port: int, workers: int) -> dict[str, Any]:
    """uvicorn.run's options for `dopys serve` (bench/ serves its ceiling app alike)."""
    trusted = settings.forwarded_allow_ips.strip()
    return {
        "host": host,
        "port": port,
        "workers": workers,
        # X-Forwarded-For/Proto/Host only from the proxies named; by default from none.
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        "timeout_keep_alive": settings.http_keep_alive_timeout,
        # httptools, as uvicorn's "auto" picks when installed (it is: uvicorn[standard]).
        "http": f"{__name__}:HttpToolsWithHeaderDeadline",
        "access_log": False,
    }
