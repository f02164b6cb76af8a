"""Sending one webhook message: Standard Webhooks signing, target checks, one HTTP POST.

Signing (https://www.standardwebhooks.com/): `webhook-signature` is `v1,` + base64 of
HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the base64 part of
the subscription's `whsec_` secret.
"""

import base64
import hashlib
import hmac
import ipaddress
import secrets
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # the HTTP client loads with the first delivery (make_client)
    import httpx2

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
USER_AGENT = "Dopys-Webhooks/1.0"
_ERROR_CHARS = 500


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
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def target_problem(url: str, *, allow_private: bool) -> str | None:
    """Why `url` may not receive webhooks, or None. http(s) only; unless allowed, every
    address the host resolves to must be a public one (no loopback, private, link-local,
    shared or reserved range), so a webhook cannot be aimed at the newsroom's own network."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "Not a valid URL."
    if parts.scheme not in ("http", "https"):
        return "Only http and https URLs can receive webhooks."
    if not parts.hostname:
        return "The URL has no host."
    if parts.username or parts.password:
        return "Credentials in the URL are not allowed; check the signature instead."
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"The host '{parts.hostname}' does not resolve."
    if allow_private:
        return None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return (
                f"The host '{parts.hostname}' resolves to {address}, a loopback, private or "
                "reserved address (set WEBHOOKS_ALLOW_PRIVATE=true to allow these)."
            )
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
    client: "httpx2.Client",
    url: str,
    secret: str,
    message_id: str,
    body: bytes,
    *,
    allow_private: bool,
    max_response_bytes: int,
) -> Outcome:
    """POST the message once. Redirects are not followed (a 3xx is a failure); at most
    `max_response_bytes` of the answer are read."""
    started = time.monotonic()

    def outcome(status: int | None, error: str | None) -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(status, elapsed, error[:_ERROR_CHARS] if error else None)

    problem = target_problem(url, allow_private=allow_private)
    if problem is not None:
        return outcome(None, problem)
    headers = headers_for(secret, message_id, body, time.time())
    import httpx2  # loaded already: the client is one

    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= max_response_bytes:
                    break
            status = response.status_code
    except httpx2.TimeoutException:
        return outcome(None, "Timed out.")
    except httpx2.HTTPError as exc:
        return outcome(None, f"{type(exc).__name__}: {exc}")
    if 200 <= status < 300:
        return outcome(status, None)
    if 300 <= status < 400:
        return outcome(status, "Redirects are not followed.")
    return outcome(status, f"The receiver answered {status}.")


def make_client(timeout: float) -> "httpx2.Client":
    import httpx2

    return httpx2.Client(
        timeout=httpx2.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        headers={"user-agent": USER_AGENT},
    )
