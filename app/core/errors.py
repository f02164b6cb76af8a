"""One error hierarchy, rendered by one set of handlers as RFC 9457 application/problem+json."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://dopys.dev/problems/"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details (the schema every error response follows)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}


class BadRequest(AppError):
    pass


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class RequestTimeout(AppError):
    status, code, title = 408, "request-timeout", "Request body too slow"


class PreconditionFailed(AppError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(AppError):
    status, code, title = 422, "validation-failed", "Invalid request"


class TooManyRequests(AppError):
    status, code, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(AppError):
    status, code, title = 503, "service-unavailable", "Service temporarily unavailable"


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=PROBLEM_TYPE_BASE + code,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    # ("body", "translations", 0, "title") -> "translations[0].title". Only the leading
    # element names where the value came from: a field may itself be called "body".
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else loc
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or ".".join(str(p) for p in loc)


def validation_field_errors(raw: list[Any]) -> list[FieldError]:
    return [
        FieldError(field=field_name(err.get("loc", ())), message=str(err.get("msg", "invalid")))
        for err in jsonable_encoder(raw)
    ]


def app_error_response(request: Request, exc: AppError) -> JSONResponse:
    """An AppError as problem+json; also used by the ASGI middleware in front of the routes."""
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return app_error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_field_errors(list(exc.errors()))
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return problem_response(
        request,
        status=422,
        code=ValidationFailed.code,
        title=ValidationFailed.title,
        detail=f"Invalid value for: {fields}" if fields else None,
        errors=errors,
    )


def _allowed_methods(request: Request) -> str:
    """Every method the path has a route for (RFC 9110 §15.5.6: a 405 lists them all; the
    router would name only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods or set()
    if "GET" in methods:
        methods.add("HEAD")  # DopysAPI answers HEAD for every GET
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed", 400: "Bad request"}
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        request,
        status=exc.status_code,
        # One 404 type whoever raises it: a route (NotFound) or the router (no such path).
        code=NotFound.code if exc.status_code == 404 else f"http-{exc.status_code}",
        title=titles.get(exc.status_code, "HTTP error"),
        detail=str(exc.detail) if exc.detail else None,
        headers=headers or None,
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # A lost connection or a pool with no free connection is the client's to retry;
    # anything else from the driver is our bug.
    if (
        isinstance(exc, DBAPIError)
        and not exc.connection_invalidated
        and not isinstance(exc, OperationalError)
    ):
        return await _unexpected(request, exc)
    logger.warning("database unavailable: %s", exc)
    return problem_response(
        request,
        status=503,
        code=ServiceUnavailable.code,
        title=ServiceUnavailable.title,
        detail="The database is unreachable; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    # The server closes the connection after an unhandled error: say so, so that a client
    # does not send its next request down a keep-alive connection about to be reset.
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal server error",
        headers={"Connection": "close"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)


# What any write can meet before its route runs: an unparseable body (400), the body
# deadline (408) and size limit (413, app.core.guards), and the rate limit (429,
# app.core.ratelimit).
WRITE_STATUSES = (400, 408, 413, 429)
# Every route that touches the database answers 503 while the database is unreachable.
DATABASE_STATUSES = (503,)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: documents its error statuses as problem+json."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": desc}
        for status, desc in ((s, _STATUS_DESCRIPTIONS.get(s, "Error")) for s in statuses)
    }


_STATUS_DESCRIPTIONS = {
    400: "Bad request (malformed parameter or cursor)",
    401: "Missing or invalid API key",
    403: "API key lacks the required scope",
    404: "Not found",
    408: "The request body did not arrive in time",
    409: "Conflict with stored content",
    412: "The resource changed since it was read",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Rate limit exceeded",
    503: "Database unavailable",
}
