"""The HTTP ceiling: a bare ASGI app that answers each benchmark request with the bytes the
product answered it with (captured beforehand), under the same uvicorn options as `dopys
serve`. What it serves per second is what the server alone can do on this machine.

    BENCH_RESPONSES=responses.json python -m bench.ceiling PORT WORKERS
"""

import base64
import os
import sys
from typing import Any

import orjson

from app.core.config import get_settings
from app.core.serving import server_options
from bench.load import BUST_PARAM

Response = tuple[int, list[tuple[bytes, bytes]], bytes]


def response_key(path: str, query: str, conditional: bool) -> str:
    """How a request is looked up: path and query (less the cache-busting parameter wrk
    adds), and whether it carries If-None-Match."""
    query = query.split(f"&{BUST_PARAM}=", 1)[0]
    query = "" if query.startswith(f"{BUST_PARAM}=") else query
    return f"{path}?{query}{' inm' if conditional else ''}"


def _load() -> dict[str, Response]:
    path = os.environ.get("BENCH_RESPONSES")
    if not path:
        return {}
    with open(path, "rb") as source:
        stored = orjson.loads(source.read())
    return {
        item["key"]: (
            item["status"],
            [(k.encode("latin-1"), v.encode("latin-1")) for k, v in item["headers"]],
            base64.b64decode(item["body"]),
        )
        for item in stored
    }


RESPONSES = _load()
MISSING: Response = (404, [(b"content-type", b"text/plain")], b"not captured")


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    conditional = any(name == b"if-none-match" for name, _ in scope["headers"])
    key = response_key(scope["path"], scope["query_string"].decode("latin-1"), conditional)
    status, headers, body = RESPONSES.get(key, MISSING)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2])
    uvicorn.run("bench.ceiling:app", **server_options(get_settings(), "127.0.0.1", port, workers))


if __name__ == "__main__":
    main()
