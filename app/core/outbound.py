"""The one way the server makes a request to an address someone else chose (webhook
receivers now; media fetches and CDN purges are meant to use it too).

A request here resolves the name once, checks every address it resolved to (IPv6 forms
that carry an IPv4 address are unwrapped first: mapped, compatible, NAT64, 6to4, Teredo)
and connects to exactly those addresses, never resolving again, so a name that answers
differently on the next lookup (DNS rebinding) cannot steer the connection elsewhere. The
TLS server name, the certificate check and the Host header stay the name. Redirects are
never followed; one deadline covers the lookup, connect, send and the whole answer; at
most `max_bytes` of the answer are read.

Tests replace `resolve` (the lookup) and `connect` (the TCP connect) of this module.
"""

import contextvars
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
# Ranges `is_global` lets through on some Python versions, and none a fetch may reach.
_NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # shared address space (CGNAT); 100.100.100.200 is a metadata address
        "192.0.0.0/24",
        "198.18.0.0/15",
        "64:ff9b:1::/48",  # RFC 8215: local-use NAT64, this network's own translator
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "fc00::/7",  # unique local; fd00:ec2::254 is a metadata address
        "fec0::/10",
    )
)


class OutboundError(Exception):
    """A request that was not made or did not finish; `str()` says why, for people."""


class Refused(OutboundError):
    """The target is not one this server may reach."""


class PrivateAddress(Refused):
    """The target resolves to an address of this machine or its networks."""


class TimedOut(OutboundError):
    pass


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: bytes  # at most max_bytes of it


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, once, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_TCP = httpcore2.SyncBackend()


def connect(address: str, port: int, timeout: float) -> httpcore2.NetworkStream:
    """A TCP connection to exactly `address` (httpcore's own, with TCP_NODELAY)."""
    return _TCP.connect_tcp(address, port, timeout, socket_options=[])


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (and is routed to), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    value = int(address)
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's own address
    if value >> 32 == 0 and value > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(value)
    return None


def _blocked(address: IPAddress) -> bool:
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address.version == n.version and address in n for n in _NEVER)
    )


def address_problem(address: IPAddress) -> str | None:
    """Why a fetch may not reach `address`, or None. An IPv6 address that is only a way to
    reach an IPv4 one (mapped, NAT64, 6to4) is judged by that one; those that merely carry
    one (IPv4-compatible, Teredo) must pass both."""
    inner = embedded_ipv4(address)
    if inner is None:
        blocked = _blocked(address)
    elif _translates(address):
        blocked = _blocked(inner)
    else:
        blocked = _blocked(address) or _blocked(inner)
    if not blocked:
        return None
    shown = f"{address} (that is {inner})" if inner is not None else str(address)
    return f"{shown}, a loopback, private or reserved address"


def _translates(address: IPAddress) -> bool:
    assert isinstance(address, ipaddress.IPv6Address)
    return address.ipv4_mapped is not None or address in _NAT64 or address.sixtofour is not None


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL (IDNA-encoded), no brackets
    port: int
    url: str  # with the host IDNA-encoded


def parse(url: str) -> Target:
    """The parts of an http(s) URL a fetch needs; Refused if it is not one we fetch."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("Not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("Only http and https URLs can be fetched.")
    if not parts.hostname:
        raise Refused("The URL has no host.")
    if parts.username or parts.password:
        raise Refused("Credentials in the URL are not allowed.")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused(f"The host '{parts.hostname}' is not a valid name.") from None
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return Target(parts.scheme, host, port, parts._replace(netloc=netloc).geturl())


# ---- one request's plan: where it may connect, and by when ---------------------------


@dataclass(frozen=True)
class _Plan:
    host: str
    addresses: tuple[str, ...]
    deadline: float  # time.monotonic()

    def timeout(self, asked: float | None) -> float:
        """What is left of the deadline (less, if the caller asked for less)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise httpcore2.ReadTimeout("The deadline passed.")
        return left if asked is None else min(asked, left)


_PLAN: contextvars.ContextVar[_Plan | None] = contextvars.ContextVar("outbound_plan", default=None)


def _plan() -> _Plan:
    plan = _PLAN.get()
    if plan is None:  # only a guarded request may open a connection
        raise httpcore2.ConnectError("No checked address to connect to.")
    return plan


class _DeadlineStream(httpcore2.NetworkStream):
    """A connection whose every read and write ends by the current request's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _plan().timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _plan().timeout(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore2.NetworkStream:
        # server_hostname is the URL's name (httpcore passes the origin's host): SNI and
        # the certificate check are made for the name, not the address connected to.
        tls = self.inner.start_tls(ssl_context, server_hostname, _plan().timeout(timeout))
        return _DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class _PinnedBackend(httpcore2.NetworkBackend):
    """Connects only to the addresses the current request checked."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        plan = _plan()
        if host.strip("[]").lower() != plan.host.lower():
            raise httpcore2.ConnectError(f"'{host}' is not the host that was checked.")
        error = httpcore2.ConnectError(f"'{host}' has no address.")
        for address in plan.addresses:  # in the resolver's order, as a client would
            try:
                return _DeadlineStream(connect(address, port, plan.timeout(timeout)))
            except httpcore2.ConnectError as exc:
                error = exc
        raise error


# ---- the guard -----------------------------------------------------------------------


class Guard:
    """Requests to targets outside the server, made safely. One per kind of fetch (its
    policy); thread-safe; keeps connections alive per (scheme, host, port) between requests,
    each one made to an address that was checked when it was opened."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        connections: int = 10,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = "Dopys",
    ) -> None:
        self.allow_private = allow_private
        self.user_agent = user_agent
        self._pool = httpcore2.ConnectionPool(
            ssl_context=ssl_context or ssl.create_default_context(),
            max_connections=connections,
            max_keepalive_connections=connections,
            network_backend=_PinnedBackend(),
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes = b"",
        headers: Sequence[tuple[str, str]] = (),
        deadline_seconds: float,
        max_bytes: int,
    ) -> Answer:
        """One request, answered within `deadline_seconds` or TimedOut; other failures
        (refused target, connection errors) are OutboundError."""
        deadline = time.monotonic() + deadline_seconds
        target = parse(url)
        found = checked_addresses(target, deadline, allow_private=self.allow_private)
        plan = _Plan(target.host, found, deadline)
        token = _PLAN.set(plan)
        try:
            return self._send(plan, method, target.url, content, headers, max_bytes)
        except httpcore2.TimeoutException:
            raise TimedOut("Timed out.") from None
        except httpcore2.NetworkError as exc:
            raise OutboundError(f"{type(exc).__name__}: {exc}") from None
        except httpcore2.ProtocolError as exc:
            raise OutboundError(f"The answer was not HTTP: {exc}") from None
        finally:
            _PLAN.reset(token)

    def _send(
        self,
        plan: _Plan,
        method: str,
        url: str,
        content: bytes,
        headers: Sequence[tuple[str, str]],
        max_bytes: int,
    ) -> Answer:
        left = plan.timeout(None)
        timeouts = {"connect": left, "read": left, "write": left, "pool": left}
        sent = [("user-agent", self.user_agent), *headers]
        with self._pool.stream(
            method, url, headers=sent, content=content, extensions={"timeout": timeouts}
        ) as response:
            body = bytearray()
            if max_bytes > 0:
                for chunk in response.iter_stream():
                    body += chunk
                    if len(body) >= max_bytes:
                        break  # the rest unread: the connection is closed, not reused
            return Answer(response.status, bytes(body[:max_bytes]))

    def close(self) -> None:
        self._pool.close()


def check(url: str, *, allow_private: bool, timeout: float = 10.0) -> None:
    """Refused (or TimedOut) unless `url` may be fetched now: the name is resolved and its
    addresses checked, and nothing is sent. For validating a target when it is set up."""
    checked_addresses(parse(url), time.monotonic() + timeout, allow_private=allow_private)


def checked_addresses(target: Target, deadline: float, *, allow_private: bool) -> tuple[str, ...]:
    """The target's addresses, looked up once by the deadline, each one checked."""
    try:
        found = _lookup(target, max(0.0, deadline - time.monotonic()))
    except (OSError, UnicodeError):
        raise Refused(f"The host '{target.host}' does not resolve.") from None
    if not found:
        raise Refused(f"The host '{target.host}' does not resolve.")
    for text in found:
        try:
            address = ipaddress.ip_address(text.partition("%")[0])
        except ValueError:
            raise Refused(f"The host '{target.host}' resolves to '{text}'.") from None
        problem = None if allow_private else address_problem(address)
        if problem is not None:
            raise PrivateAddress(f"The host '{target.host}' resolves to {problem}")
    return tuple(found)


def _lookup(target: Target, timeout: float) -> list[str]:
    """`resolve` on a thread of its own, waited for until `timeout`: a lookup may hang
    past any deadline, and one that does holds up no other."""
    result: list[list[str] | BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            result.append(resolve(target.host, target.port))
        except BaseException as exc:  # handed to the caller
            result.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="outbound-lookup", daemon=True).start()
    if not done.wait(timeout):
        raise TimedOut(f"Looking up '{target.host}' timed out.")
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]
