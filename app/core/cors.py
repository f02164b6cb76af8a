"""CORS for browser front ends: Starlette's middleware, with every response saying it
varies by Origin and a refused preflight answered as problem+json like any other error."""

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from app.core.errors import PROBLEM_MEDIA_TYPE, PROBLEM_TYPE_BASE, BadRequest

# What a browser front end may send, and which response headers its scripts may read.
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Last-Modified",
    "Link",
    "Content-Language",
    "Location",
    "Retry-After",
]


def with_origin_in_vary(vary: str | None) -> str:
    """`Vary` naming Origin exactly once, the other names kept in their order."""
    names = [n.strip() for n in (vary or "").split(",") if n.strip()]
    if "origin" not in {n.lower() for n in names}:
        names.append("Origin")
    return ", ".join(dict.fromkeys(names))


class Cors(CORSMiddleware):
    """Whether a response carries Access-Control-Allow-Origin depends on the request's
    Origin, so every response says `Vary: Origin`, also to a request without one (a shared
    cache would otherwise hand that copy to browsers). A preflight the policy refuses is a
    400 problem+json naming what was refused."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return

        async def send_varying(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Vary"] = with_origin_in_vary(headers.get("vary"))
            await send(message)

        await super().__call__(scope, receive, send_varying)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        refused = bytes(response.body).decode()  # "Disallowed CORS origin, method, ..."
        problem = {
            "type": PROBLEM_TYPE_BASE + BadRequest.code,
            "title": "CORS preflight refused",
            "status": 400,
            "detail": f"{refused.replace('Disallowed CORS', 'Not allowed by CORS:')}.",
        }
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        headers.pop("content-type", None)
        return Response(
            json.dumps(problem), status_code=400, media_type=PROBLEM_MEDIA_TYPE, headers=headers
        )
