"""Signed opaque tokens: every cursor and sync token the API hands out.

A token is `base64url(payload || mac)`, the MAC being the first 16 bytes of
HMAC-SHA256(secret, payload). A token altered in any way (a byte changed, cut short, padded,
re-encoded) fails the check and is the client's 400; only the server can make one, so what a
token says (a position, a time) is what the server wrote.

The secret is `TOKEN_SECRET` when set; otherwise the one the first `dopys db upgrade`
generated and stored in `server_secrets`, so that every worker and process shares it. It is
read once, on first use (not at start-up: a worker must start while the database is down).
Changing it invalidates every token and cursor in clients' hands (they start again without one).
"""

import base64
import binascii
import hashlib
import hmac
import threading
from collections.abc import Callable

from sqlalchemy import Engine, select

from app.core.config import Settings
from app.models import ServerSecret

MAC_BYTES = 16
TOKEN_SECRET_NAME = "token"  # noqa: S105 (the row's name, not a secret)


class TokenSigner:
    def __init__(self, load_secret: Callable[[], bytes]) -> None:
        self._load_secret = load_secret
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    def _key(self) -> bytes:
        if self._secret is None:
            with self._lock:
                if self._secret is None:
                    self._secret = self._load_secret()
        return self._secret

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key(), payload, hashlib.sha256).digest()[:MAC_BYTES]

    def seal(self, payload: bytes) -> str:
        return base64.urlsafe_b64encode(payload + self._mac(payload)).rstrip(b"=").decode()

    def open(self, token: str) -> bytes | None:
        """The payload of a token this server made, or None for anything else."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return None
        # Decoding skips stray characters and ignores the spare bits of the last one:
        # only the one canonical spelling of the bytes is the token.
        if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
            return None
        payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
        if len(raw) <= MAC_BYTES or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        return payload


def secret_loader(settings: Settings, engine: Engine) -> Callable[[], bytes]:
    """Where the secret comes from: the setting, else the database (read on first use)."""
    configured = settings.token_secret
    if configured is not None:
        secret = configured.get_secret_value().encode()
        return lambda: secret

    def from_database() -> bytes:
        with engine.connect() as conn:
            value = conn.scalar(
                select(ServerSecret.value).where(ServerSecret.name == TOKEN_SECRET_NAME)
            )
        if value is None:
            raise RuntimeError(
                "No token secret: set TOKEN_SECRET or run `dopys db upgrade`, which makes one."
            )
        return bytes.fromhex(value)

    return from_database
