"""API keys: generated once, shown once, stored only as a SHA-256 hash.

Keys carry 256 bits of randomness, so a fast hash is enough (no password stretching needed);
lookup is by hash through a unique index, then compared in constant time.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.models import ApiKey, KeyScope, utcnow

KEY_PREFIX = "dps_"


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str


# RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token; HTTP's optional
# whitespace (space, tab) around the value is all that is stripped.
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)")


def bearer_key(authorization: Sequence[str]) -> str | None:
    """The API key of a request, from every line of its Authorization header (as sent,
    latin-1): the one place it is read, for authentication and for rate-limit buckets
    alike, so that one key is one bucket. None when there is no key or the header is not
    exactly one well-formed bearer token (no Unicode spaces, no second header: any such
    variant of a key is refused, never a fresh bucket)."""
    if len(authorization) != 1:
        return None
    match = _BEARER.fullmatch(authorization[0].strip(" \t"))
    return match.group(1) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(session: Session, *, name: str, scope: KeyScope) -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(name=name, scope=scope, prefix=secret[:10], key_hash=hash_secret(secret))
    session.add(key)
    session.flush()
    return NewKey(key=key, secret=secret)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def find_active_key(session: Session, secret: str) -> ApiKey | None:
    """The live key for `secret`, or None. Revocation takes effect on the next request."""
    digest = hash_secret(secret)
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if key is None or key.revoked_at is not None:
        return None
    return key if hmac.compare_digest(key.key_hash, digest) else None


_RANK = {KeyScope.READ: 0, KeyScope.WRITE: 1, KeyScope.ADMIN: 2}


def grants(key: ApiKey, needed: KeyScope) -> bool:
    """admin includes write, write includes read."""
    return _RANK[key.scope] >= _RANK[needed]
