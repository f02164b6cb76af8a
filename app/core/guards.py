"""Edge guards, as pure ASGI middleware so they also see streamed (chunked) bodies, all
settled before a body is taken in: NUL characters in the URL (422); no body on a GET or
HEAD (413); a write's API key checked from its headers (401/403, app.core.deps); request
body size limits (413, on every route, whether it reads its body or not) and a deadline
for the body to arrive (408). `close_if_unread` closes the connection after a response
that went out before its request's body was read.

PostgreSQL rejects NUL in text with an error, and no parameter of this API may hold one, so
they stop here, before any route; bodies are checked field by field (app.core.schemas).
"""

import asyncio
import time
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import iter_route_contexts
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.deps import authenticate_first, required_scopes
from app.core.errors import (
    AppError,
    FieldError,
    PayloadTooLarge,
    RequestTimeout,
    ValidationFailed,
    app_error_response,
)

IMPORT_PATH = "/v1/imports"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_import(method: str, path: str) -> bool:
    """Bulk imports get their own, larger body limit and their own rate limits."""
    return method == "POST" and (path == IMPORT_PATH or path.startswith(IMPORT_PATH + "/"))


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def has_body(scope: Scope) -> bool:
    """Whether the request's headers announce a body (HTTP/1.1 frames one no other way)."""
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


# Methods whose requests carry no body here: one sent anyway is refused, never read.
BODILESS_METHODS = frozenset({"GET", "HEAD"})


class _ClientGone(Exception):
    pass


class _Body:
    """The request body as the app reads it, counted against the size limit and timed: the
    app waits for it at most `http_body_timeout` seconds, plus one for every
    `http_body_min_rate` bytes that came. A deadline on the whole body would cut a 7 GB
    import on any ordinary link; an idle bound alone lets a byte every few seconds hold a
    connection for ever. Only time spent waiting on the client counts, not an import's
    work between its reads. Past the limit or the deadline, `receive` raises the error
    (`cut`) into the app."""

    def __init__(self, receive: Receive, limit: int, *, import_: bool, settings: Settings) -> None:
        self._receive = receive
        self.limit = limit
        self.import_ = import_
        self.timeout = settings.http_body_timeout
        self.min_rate = settings.http_body_min_rate
        self.received = 0
        self.waited = 0.0
        self.cut: AppError | None = None

    async def receive(self) -> Message:
        budget = self.timeout + self.received / self.min_rate - self.waited
        started = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                message = await self._receive()
        except TimeoutError:
            raise self._cut(_too_slow(self.timeout, self.min_rate, import_=self.import_)) from None
        finally:
            self.waited += time.monotonic() - started
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise self._cut(_too_large(self.limit, import_=self.import_))
        return message

    def _cut(self, error: AppError) -> AppError:
        self.cut = error
        return error

    async def drain(self) -> None:
        """Reads the body and drops it, for a route that never reads its own: an oversized
        one is still a 413 (a slow one a 408), and none is held in memory."""
        while True:
            message = await self.receive()
            if message["type"] != "http.request":
                raise _ClientGone
            if not message.get("more_body", False):
                return


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app once the body has been read: the body, then the server's."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


NUL_MESSAGE = "NUL characters (U+0000) are not allowed."


def _nul_error(scope: Scope) -> ValidationFailed | None:
    """A 422 naming the parameters that hold NUL, like a validation error would."""
    query: bytes = scope.get("query_string", b"")
    fields = ["path"] if "\x00" in scope["path"] else []
    if b"\x00" in query or b"%00" in query:
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        fields += sorted({name or "query" for name, value in pairs if "\x00" in name + value})
    if not fields:
        return None
    return ValidationFailed(
        f"Invalid value for: {', '.join(fields)}",
        errors=[FieldError(field=field, message=NUL_MESSAGE) for field in fields],
    )


class RequestGuard:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, max_import_bytes: int, settings: Settings
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes
        self.settings = settings
        self.routes = _Routes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nul = _nul_error(scope)
        if nul is not None:
            await reject(scope, receive, send, nul)
            return
        if not has_body(scope):
            await self.app(scope, receive, send)
            return
        import_ = is_import(scope["method"], scope["path"])
        limit = self.max_import_bytes if import_ else self.max_body_bytes
        route = self.routes.find(scope)
        error = await self._refusal(scope, route, limit, import_=import_)
        if error is not None:
            await reject(scope, receive, send, error)
            return
        body = _Body(receive, limit, import_=import_, settings=self.settings)
        if route is None or route.body_field is not None or import_:
            await self._guarded(scope, body, send)
            return
        # A route that never reads its body: drop it here, so that an oversized one is a
        # 413 even so (DELETE, publish...), and the connection can be kept.
        try:
            await body.drain()
        except _ClientGone:
            return
        except AppError as cut:
            await reject(scope, receive, send, cut)
            return
        await self.app(scope, _replay(b"", receive), send)

    async def _refusal(
        self, scope: Scope, route: Any, limit: int, *, import_: bool
    ) -> AppError | None:
        """What a request with a body is refused for before any of the body is read."""
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            return _too_large(limit, import_=import_)
        if route is None:
            return None  # the router's 404 or 405, which reads no body
        if scope["method"] in BODILESS_METHODS:
            return PayloadTooLarge(f"A {scope['method']} request takes no body.")
        return await authenticate_first(scope, required_scopes(route.dependant))

    async def _guarded(self, scope: Scope, body: _Body, send: Send) -> None:
        """The app, reading `body`. Once the body is cut (413, 408), a route reading the
        stream itself may answer with that status (and its own detail); any other answer
        to the cut-off body (a parse error, usually) is replaced by the guard's."""
        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            cut = body.cut
            if message["type"] == "http.response.start":
                if cut is not None and message["status"] != cut.status:
                    return
                started = True
            elif cut is not None and not started:
                return
            await send(message)

        try:
            await self.app(scope, body.receive, guarded_send)
        except Exception:
            if body.cut is None or started:
                raise
        if body.cut is not None and not started:
            await reject(scope, body.receive, send, body.cut)


class _Routes:
    """The app's routes by method, in the router's order, to find the API route the router
    will pick for a request (as errors._allowed_methods looks it up), or None where it
    answers 404 or 405. Listed at the first request: the routes are all in by then."""

    def __init__(self) -> None:
        self._by_method: dict[str, list[Any]] | None = None

    def find(self, scope: Scope) -> Any:
        if self._by_method is None:
            self._by_method = _by_method(scope["app"].routes)
        for context in self._by_method.get(scope["method"], ()):
            if context.matches(scope)[0] == Match.FULL:
                return context if hasattr(context, "body_field") else None
        return None


def _by_method(routes: list[Any]) -> dict[str, list[Any]]:
    contexts = list(iter_route_contexts(routes))
    methods = {method for context in contexts for method in context.methods or ()}
    return {
        method: [c for c in contexts if c.methods is None or method in c.methods]
        for method in methods
    }


def close_if_unread(scope: Scope, receive: Receive, send: Send) -> tuple[Receive, Send]:
    """For a request with a body: `Connection: close` on a response that starts before the
    app has read all of it (a refusal at the headers, a 413, 408 or 429), so that the rest
    of the body is neither waited for nor ever read as the next request on the connection
    (app.core.serving drops it as the connection closes)."""
    done = False

    async def watching_receive() -> Message:
        nonlocal done
        message = await receive()
        done = done or not message.get("more_body", False)
        return message

    async def closing_send(message: Message) -> None:
        if message["type"] == "http.response.start" and not done:
            headers = list(message.get("headers", ()))
            if not any(name.lower() == b"connection" for name, _ in headers):
                headers.append((b"connection", b"close"))
                message = {**message, "headers": headers}
        await send(message)

    return watching_receive, closing_send


def _too_large(limit: int, *, import_: bool) -> PayloadTooLarge:
    if import_:
        return PayloadTooLarge(f"An import may be up to {limit} bytes; split the file.")
    return PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")


def _too_slow(timeout: float, min_rate: int, *, import_: bool) -> RequestTimeout:
    detail = (
        f"The request body did not arrive in time ({timeout:g} s, and one more for every "
        f"{min_rate} bytes received)."
    )
    if import_:
        detail += " The batches stored so far are kept; run the import again to complete it."
    return RequestTimeout(detail)


async def reject(scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
    """Answer with `error` as problem+json without calling the app."""
    await app_error_response(Request(scope), error)(scope, receive, send)
