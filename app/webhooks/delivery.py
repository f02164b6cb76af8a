"""Sending one webhook message: Standard Webhooks signing, target checks, one HTTP POST
(through app.core.outbound, the guard every fetch of the server goes through).

Signing (https://www.standardwebhooks.com/): `webhook-signature` is `v1,` + base64 of
HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part of
the subscription's `whsec_` secret.
"""

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the HTTP client loads with the first check or delivery
    from app.core import outbound

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
USER_AGENT = "Dopys-Webhooks/1.0"
_ERROR_CHARS = 500
ALLOW_HINT = "(set WEBHOOKS_ALLOW_PRIVATE=true to allow these)."


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers_for(secret: str, message_id: str, body: bytes, now: float) -> dict[str, str]:
    timestamp = int(now)
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def target_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not receive webhooks, or None: the outbound guard's check (http(s),
    no credentials, every address the host resolves to a public one unless allowed), so
    a webhook cannot be aimed at the newsroom's own network."""
    from app.core import outbound

    try:
        outbound.check(url, allow_private=allow_private)
    except outbound.PrivateAddress as exc:
        return f"{exc} {ALLOW_HINT}"
    except outbound.OutboundError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(
    guard: "outbound.Guard",
    url: str,
    secret: str,
    message_id: str,
    body: bytes,
    *,
    deadline_seconds: float,
    max_response_bytes: int,
) -> Outcome:
    """POST the message once through the outbound guard (see `exchange`)."""
    headers = headers_for(secret, message_id, body, time.time())
    return exchange(
        guard,
        "POST",
        url,
        body,
        list(headers.items()),
        deadline_seconds=deadline_seconds,
        max_response_bytes=max_response_bytes,
        allow_hint=ALLOW_HINT,
    )


def exchange(
    guard: "outbound.Guard",
    method: str,
    url: str,
    body: bytes,
    headers: list[tuple[str, str]],
    *,
    deadline_seconds: float,
    max_response_bytes: int,
    allow_hint: str,
) -> Outcome:
    """One request through the outbound guard (webhooks, CDN purges): the address checked
    is the one connected to, redirects are not followed (a 3xx is a failure), the whole
    exchange ends by the deadline, and at most `max_response_bytes` of the answer are read."""
    started = time.monotonic()

    def outcome(status: int | None, error: str | None) -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, elapsed, error[:_ERROR_CHARS] if error else None)

    from app.core import outbound

    try:
        answer = guard.request(
            method,
            url,
            content=body,
            headers=headers,
            deadline_seconds=deadline_seconds,
            max_bytes=max_response_bytes,
        )
    except outbound.PrivateAddress as exc:
        return outcome(None, f"{exc} {allow_hint}")
    except outbound.OutboundError as exc:
        return outcome(None, str(exc))
    status = answer.status_code
    if 200 <= status < 300:
        return outcome(status, None)
    if 300 <= status < 400:
        return outcome(status, "Redirects are not followed.")
    return outcome(status, f"The receiver answered {status}.")


def make_guard(
    allow_private: bool, connections: int, user_agent: str = USER_AGENT
) -> "outbound.Guard":
    from app.core import outbound

    return outbound.Guard(
        allow_private=allow_private, connections=connections, user_agent=user_agent
    )
