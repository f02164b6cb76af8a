"""Opaque keyset cursors and the shared, capped `limit` parameter."""

import base64
import binascii
import hashlib
from typing import Annotated, Any

import orjson
from fastapi import Query

from app.core.errors import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (1–{MAX_LIMIT}).")]
CursorParam = Annotated[
    str | None,
    Query(
        max_length=512, description="Opaque cursor from `meta.next_cursor` of the previous page."
    ),
]


def scope_of(**filters: object) -> str:
    """Fingerprint of a listing's filters: a cursor works only in the listing it came from."""
    canonical = orjson.dumps({k: v for k, v in sorted(filters.items())}, default=str)
    return hashlib.sha256(canonical).hexdigest()[:12]


def encode_cursor(scope: str, position: list[Any]) -> str:
    raw = orjson.dumps({"s": scope, "p": position})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, scope: str, size: int) -> list[Any]:
    """The position stored in `cursor`; a forged, truncated or foreign cursor is a 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise invalid_cursor() from exc
    if not isinstance(data, dict) or data.get("s") != scope:
        raise invalid_cursor()
    position = data.get("p")
    if not isinstance(position, list) or len(position) != size:
        raise invalid_cursor()
    return position


def invalid_cursor() -> BadRequest:
    return BadRequest(
        "The cursor is malformed or belongs to another listing; start again without one."
    )
