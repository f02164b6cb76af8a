"""How `dopys serve` runs uvicorn: proxy trust, keep-alive, and a request-header deadline.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`), but a connection that
opens and sends its request headers slowly (slowloris) is kept as long as bytes trickle in.
The protocols here give every request a deadline for its complete headers, counted from
when the connection opened or the previous response ended; past it, a connection with no
request in progress is closed. A request whose headers are complete is never cut (bodies
and responses take the time they need). Headers are also bounded in size (431).
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.core.config import Settings, get_settings

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


class _HeaderDeadline:
    """Mixed into uvicorn's protocols (they share these names): `cycle` is the request
    being served, made when its headers are complete."""

    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _deadline: asyncio.TimerHandle | None = None
    _header_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)  # type: ignore[misc]
        if self.cycle is not cycle:  # a request's headers are complete
            self._disarm()
        elif self._deadline is not None:  # still waiting for them
            self._header_bytes += len(data)
            if self._header_bytes > MAX_HEADER_BYTES and not self.transport.is_closing():
                self._disarm()
                self.transport.write(_TOO_LARGE)
                self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        if not self._busy():  # else a pipelined request is already being served
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

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
