"""Edge guards, as pure ASGI middleware so they also see streamed (chunked) bodies:
request body size limits (413, on every route, whether it reads its body or not) and NUL
characters in the URL (422).

PostgreSQL rejects NUL in text with an error, and no parameter of this API may hold one, so
they stop here, before any route; bodies are checked field by field (app.core.schemas).
"""

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    AppError,
    FieldError,
    PayloadTooLarge,
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


def _chunked(scope: Scope) -> bool:
    return any(name == b"transfer-encoding" for name, _ in scope["headers"])


class _ClientGone(Exception):
    pass


async def _read_within(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


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
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nul = _nul_error(scope)
        if nul is not None:
            await reject(scope, receive, send, nul)
            return
        import_ = is_import(scope["method"], scope["path"])
        limit = self.max_import_bytes if import_ else self.max_body_bytes
        too_large = _too_large(limit, import_=import_)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await reject(scope, receive, send, too_large)
            return
        if declared is None and not import_ and _chunked(scope):
            # A streamed body of unknown size: read it (up to the limit) before any route
            # runs, so that an oversized one is a 413 even where the route never reads it
            # (DELETE, publish...). Imports read their own stream, counted below.
            try:
                body = await _read_within(receive, limit)
            except _ClientGone:
                return
            if body is None:
                await reject(scope, receive, send, too_large)
                return
            receive = _replay(body, receive)
        await self._limited(scope, receive, send, limit, too_large)

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, limit: int, too_large: PayloadTooLarge
    ) -> None:
        """Count the bytes as they arrive. Past the limit `receive` raises PayloadTooLarge
        into the app: a route reading the stream itself may answer that 413 (with its own
        detail); any other answer to the cut-off body (a parse error, usually) is replaced
        by the guard's 413."""
        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise too_large
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if exceeded and message["status"] != 413:
                    return
                started = True
            elif exceeded and not started:
                return
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await reject(scope, receive, send, too_large)


def _too_large(limit: int, *, import_: bool) -> PayloadTooLarge:
    if import_:
        return PayloadTooLarge(f"An import may be up to {limit} bytes; split the file.")
    return PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")


async def reject(scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
    """Answer with `error` as problem+json without calling the app."""
    await app_error_response(Request(scope), error)(scope, receive, send)
