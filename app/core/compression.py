"""Response compression: brotli or gzip, whichever the client prefers, above a size threshold.

One middleware for both codings so that negotiation happens in one place (Starlette's
GZipMiddleware knows only gzip and ignores q-values). Gzip output is deterministic (no
timestamp), so equal bodies compress to equal bytes. The public response cache
(app.core.caching) compresses its entries once with `encode` and sends them with
Content-Encoding set; this middleware passes such responses through untouched.
"""

import gzip
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import lru_cache

import brotli
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BadRequest, PayloadTooLarge

IDENTITY = "identity"
# Set in the ASGI scope by whoever already settled a response's coding (the public
# response cache): this middleware then leaves the response alone.
ENCODED_KEY = "dopys.encoded"
CODINGS = ("br", "gzip")  # our preference when the client likes both equally
BROTLI_QUALITY = 5  # fast and still smaller than gzip -6 on JSON
GZIP_LEVEL = 6
COMPRESSIBLE_TYPES = ("application/json", "application/problem+json", "text/", "+xml", "+json")


@lru_cache(maxsize=512)
def negotiate(accept_encoding: str) -> str:
    """The coding to use (`br`, `gzip` or `identity`) for an Accept-Encoding value."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(",")[:30]:
        name, _, params = part.partition(";")
        name = name.strip().lower()
        quality = 1.0
        key, _, value = params.partition("=")
        if key.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        if name:
            weights[name] = quality
    best, best_q = IDENTITY, 0.0
    for coding in CODINGS:
        quality = weights.get(coding, weights.get("*", 0.0))
        if quality > best_q:
            best, best_q = coding, quality
    return best


def encode(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    if coding == "gzip":
        return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
    return body


def is_compressible(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return any(
        media_type.startswith(t) if t.endswith("/") else media_type.endswith(t)
        for t in COMPRESSIBLE_TYPES
    )


def add_vary(headers: MutableHeaders, name: str) -> None:
    present = [v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()]
    if name.lower() not in present and "*" not in present:
        headers["vary"] = ", ".join([*filter(None, [headers.get("vary")]), name])


class _Stream:
    """Incremental compressor for responses that arrive in several chunks."""

    def __init__(self, coding: str) -> None:
        self._process: Callable[[bytes], bytes]
        self._finish: Callable[[], bytes]
        if coding == "br":
            compressor = brotli.Compressor(quality=BROTLI_QUALITY)
            self._process, self._finish = compressor.process, compressor.finish
            self._flush: Callable[[], bytes] = compressor.flush
        else:
            deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: gzip wrapper
            self._process, self._finish = deflate.compress, deflate.flush
            self._flush = lambda: deflate.flush(zlib.Z_SYNC_FLUSH)

    def chunk(self, data: bytes, *, last: bool) -> bytes:
        out = self._process(data)
        return out + (self._finish() if last else self._flush())


@dataclass
class CompressionMiddleware:
    """Compresses responses of at least `minimum_size` bytes whose type is textual."""

    app: ASGIApp
    minimum_size: int = 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        coding = negotiate(Headers(scope=scope).get("accept-encoding", ""))
        await _Responder(self.app, scope, coding, self.minimum_size, send)(receive)


class _Responder:
    def __init__(
        self, app: ASGIApp, scope: Scope, coding: str, minimum_size: int, send: Send
    ) -> None:
        self.app, self.scope, self.send = app, scope, send
        self.coding, self.minimum_size = coding, minimum_size
        self.start: Message | None = None
        self.stream: _Stream | None = None
        self.passthrough = False

    async def __call__(self, receive: Receive) -> None:
        await self.app(self.scope, receive, self.on_send)

    async def on_send(self, message: Message) -> None:
        if self.passthrough:
            await self.send(message)
        elif message["type"] == "http.response.start":
            self.start = message
            headers = Headers(raw=message["headers"])
            status = message["status"]
            self.passthrough = (
                self.scope.get(ENCODED_KEY, False)
                or "content-encoding" in headers
                or status < 200
                or status in (204, 206, 304)
                or not is_compressible(headers.get("content-type", ""))
            )
            if self.passthrough:
                await self.send(message)
        elif message["type"] == "http.response.body":
            await self.on_body(message)
        else:
            await self.send(message)

    async def on_body(self, message: Message) -> None:
        assert self.start is not None
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        if self.stream is None and not more:  # the whole body at once: the usual case
            await self.send_whole(body)
            return
        headers = MutableHeaders(raw=self.start["headers"])
        if self.stream is None:
            add_vary(headers, "Accept-Encoding")
            if self.coding == IDENTITY:
                self.passthrough = True
                await self.send(self.start)
                await self.send(message)
                return
            self.stream = _Stream(self.coding)
            del headers["content-length"]
            headers["content-encoding"] = self.coding
            await self.send(self.start)
        await self.send(
            {
                "type": "http.response.body",
                "body": self.stream.chunk(body, last=not more),
                "more_body": more,
            }
        )

    async def send_whole(self, body: bytes) -> None:
        assert self.start is not None
        headers = MutableHeaders(raw=self.start["headers"])
        if len(body) >= self.minimum_size:
            add_vary(headers, "Accept-Encoding")
            if self.coding != IDENTITY:
                body = encode(body, self.coding)
                headers["content-encoding"] = self.coding
                headers["content-length"] = str(len(body))
        await self.send(self.start)
        await self.send({"type": "http.response.body", "body": body})


# ---- request bodies ------------------------------------------------------------------------

REQUEST_CODINGS = frozenset({"gzip", "x-gzip"})  # what a request body may be sent in
DECODED_CHUNK = 1 << 20


async def gunzipped(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """A gzip request body (one member or several), decoded as it streams in, a megabyte
    at a time: PayloadTooLarge as soon as it passes `limit` decoded bytes, so a small bomb
    is never inflated whole; BadRequest when it is not gzip or ends part-way."""
    inflate = zlib.decompressobj(31)  # 31: gzip wrapper
    size = 0
    fed = False  # the current member has had input
    try:
        async for data in chunks:
            while data:
                fed = True
                out = inflate.decompress(data, DECODED_CHUNK)
                data = inflate.unconsumed_tail
                while len(out) == DECODED_CHUNK and not data and not inflate.eof:
                    size = _counted(size, len(out), limit)
                    yield out
                    out = inflate.decompress(b"", DECODED_CHUNK)  # what it still holds
                size = _counted(size, len(out), limit)
                if out:
                    yield out
                if inflate.eof:  # a member ended: another may follow
                    data, fed = inflate.unused_data, False
                    inflate = zlib.decompressobj(31)
    except zlib.error as exc:
        raise BadRequest(f"The body is not valid gzip (Content-Encoding: gzip): {exc}.") from exc
    if fed and not inflate.eof:
        raise BadRequest("The gzip body ends part-way (Content-Encoding: gzip).")


def _counted(size: int, more: int, limit: int) -> int:
    size += more
    if size > limit:
        raise PayloadTooLarge(f"An import may be up to {limit} bytes (once decompressed).")
    return size
