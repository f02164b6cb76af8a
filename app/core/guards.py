"""Edge guards, as pure ASGI middleware so they also see streamed (chunked) bodies:
request body size limits (413) and NUL characters in the URL (422).

PostgreSQL rejects NUL in text with an error, and no parameter of this API may hold one, so
they stop here, before any route; bodies are checked field by field (app.core.schemas).
"""

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import AppError, PayloadTooLarge, ValidationFailed, app_error_response

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


def _has_nul(scope: Scope) -> bool:
    query: bytes = scope.get("query_string", b"")
    return "\x00" in scope["path"] or b"\x00" in query or b"%00" in query


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_import_bytes = max_import_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope):
            await reject(scope, receive, send, ValidationFailed("NUL characters in the URL."))
            return
        limit = (
            self.max_import_bytes
            if is_import(scope["method"], scope["path"])
            else self.max_body_bytes
        )
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await reject(scope, receive, send, _too_large(limit))
            return
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
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
                    raise _too_large(limit)
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
            await reject(scope, receive, send, _too_large(limit))


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")


async def reject(scope: Scope, receive: Receive, send: Send, error: AppError) -> None:
    """Answer with `error` as problem+json without calling the app."""
    await app_error_response(Request(scope), error)(scope, receive, send)
