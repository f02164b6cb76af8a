"""Opaque keyset cursors and the shared, capped `limit` parameter."""

import hashlib
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query, Request

from app.core.errors import BadRequest
from app.core.tokens import TokenSigner

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


def encode_cursor(signer: TokenSigner, scope: str, position: list[Any]) -> str:
    """A signed, opaque cursor (app.core.tokens) for `position` in the listing `scope`."""
    return signer.seal(orjson.dumps({"s": scope, "p": position}))


def decode_cursor(
    signer: TokenSigner, cursor: str, scope: str, size: int, *, error: BadRequest | None = None
) -> list[Any]:
    """The position stored in `cursor`; an altered, forged, truncated or foreign cursor is
    a 400 (`error`, or the cursor's). Callers range-check each field before using it."""
    payload = signer.open(cursor)
    try:
        data = orjson.loads(payload) if payload is not None else None
    except orjson.JSONDecodeError as exc:
        raise error or invalid_cursor() from exc
    if not isinstance(data, dict) or data.get("s") != scope:
        raise error or invalid_cursor()
    position = data.get("p")
    if not isinstance(position, list) or len(position) != size:
        raise error or invalid_cursor()
    return position


# change_seq is a 4-byte integer on PostgreSQL: a larger number cannot be a position.
MAX_SEQ = 2**31 - 1


def cursor_count(value: Any) -> int:
    """A change number read from a token: an int in [0, MAX_SEQ], else ValueError."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SEQ:
        raise ValueError(value)
    return value


def cursor_moment(value: Any) -> datetime:
    """An aware ISO 8601 time read from a token, in UTC; ValueError for anything else (a
    naive time, or one that leaves years 1-9999 once in UTC: no database takes those)."""
    if not isinstance(value, str):
        raise ValueError(value)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(value) from exc


async def signer_of(request: Request) -> TokenSigner:
    signer: TokenSigner = request.app.state.token_signer
    return signer


SignerDep = Annotated[TokenSigner, Depends(signer_of)]


def invalid_cursor() -> BadRequest:
    return BadRequest(
        "The cursor is malformed or belongs to another listing; start again without one."
    )
