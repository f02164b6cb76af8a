"""The outbound guard under webhooks: a name that answers differently on each lookup
(DNS rebinding) never steers a delivery to loopback, IPv6 forms that carry a private
IPv4 address are refused when a webhook is made and when it is delivered, and TLS is
checked for the name while the connection goes to the address that was checked.

Lookups and connects are replaced at the guard's seams (app.core.outbound.resolve and
.connect): a public address a fake name resolves to is never connected to for real, so
no traffic leaves this machine."""

import ipaddress
import itertools
import shutil
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpcore2
import pytest

from app.core import outbound
from tests.conftest import RecordingClient
from tests.webhooks.conftest import deliveries, subscribe
from tests.webhooks.receiver import Receiver, receiving

PUBLIC = "1.1.1.1"  # what a fake name answers when it looks harmless (never connected to)
EMBEDDING = {  # IPv6 forms of private IPv4 addresses
    "64:ff9b::a9fe:a9fe": "169.254.169.254",  # NAT64 of the metadata address
    "::ffff:127.0.0.1": "127.0.0.1",  # IPv4-mapped
    "::127.0.0.1": "127.0.0.1",  # IPv4-compatible
    "2002:7f00:1::": "127.0.0.1",  # 6to4
}


@dataclass
class Network:
    """Fake names over the real resolver, and every connect the guard makes."""

    names: dict[str, Iterator[list[str]]] = field(default_factory=dict)
    connects: list[str] = field(default_factory=list)
    lookups: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, real: Callable[[str, int], list[str]], host: str, port: int) -> list[str]:
        with self.lock:
            if host not in self.names:
                return real(host, port)
            answer = next(self.names[host])
            self.lookups.append((host, answer))
            return answer

    def connect(
        self, real: Callable[..., httpcore2.NetworkStream], address: str, port: int, timeout: float
    ) -> httpcore2.NetworkStream:
        with self.lock:
            self.connects.append(address)
        if address != PUBLIC:  # the machine's own (a bug if it was refused): real
            return real(address, port, timeout)
        raise httpcore2.ConnectError("the test network reaches no public address")


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Network:
    fake = Network()
    real_resolve, real_connect = outbound.resolve, outbound.connect
    monkeypatch.setattr(outbound, "resolve", lambda *a: fake.resolve(real_resolve, *a))
    monkeypatch.setattr(outbound, "connect", lambda *a: fake.connect(real_connect, *a))
    return fake


@pytest.fixture
def guarded(app_with: Callable[..., RecordingClient]) -> RecordingClient:
    """An app whose webhooks may only reach public addresses (the default)."""
    return app_with(webhooks_allow_private=False)


def _ping(client: RecordingClient, headers: dict[str, str], hook: dict[str, Any]) -> None:
    queued = client.post(f"/v1/webhooks/{hook['id']}/test", headers=headers)
    assert queued.status_code == 202, queued.text


def test_a_name_rebinding_to_loopback_between_lookups_never_reaches_it(
    guarded: RecordingClient,
    admin_headers: dict[str, str],
    receiver: Receiver,
    network: Network,
) -> None:
    port = urlsplit(receiver.url).port
    network.names["rebind.test"] = itertools.cycle([[PUBLIC], ["127.0.0.1"]])
    hook = subscribe(guarded, admin_headers, f"http://rebind.test:{port}/hook")
    for _ in range(6):
        _ping(guarded, admin_headers, hook)
    found = deliveries(guarded, admin_headers, hook["id"])
    assert len(found) == 6 and all(d["state"] == "failed" for d in found), found
    errors = [d["attempts"][0]["error"] for d in found]
    assert receiver.received == []
    assert network.connects == [PUBLIC] * 3  # only what was checked, once per lookup
    assert sum("resolves to 127.0.0.1, a loopback" in e for e in errors) == 3, errors
    assert sum("reaches no public address" in e for e in errors) == 3, errors
    assert len(network.lookups) == 7  # one at creation, then one per delivery


@pytest.mark.parametrize("address", list(EMBEDDING))
def test_ipv6_forms_of_private_addresses_are_refused_as_a_target(
    guarded: RecordingClient, admin_headers: dict[str, str], network: Network, address: str
) -> None:
    network.names["embedded.test"] = itertools.repeat([address])
    for url in (f"http://[{address}]/hook", "http://embedded.test/hook"):
        refused = guarded.post("/v1/webhooks", json={"url": url}, headers=admin_headers)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        [error] = refused.json()["errors"]
        assert error["field"] == "url"
        assert f"(that is {EMBEDDING[address]}), a loopback" in error["message"], error
    assert network.connects == []


def test_ipv6_forms_of_private_addresses_are_refused_at_delivery(
    guarded: RecordingClient, admin_headers: dict[str, str], network: Network
) -> None:
    answers = iter([[PUBLIC], *([a] for a in EMBEDDING)])
    network.names["later.test"] = answers
    hook = subscribe(guarded, admin_headers, "http://later.test:8080/hook")
    for _ in EMBEDDING:
        _ping(guarded, admin_headers, hook)
    found = deliveries(guarded, admin_headers, hook["id"])
    errors = sorted(d["attempts"][0]["error"] for d in found if d["attempts"])
    expected = sorted(
        f"The host 'later.test' resolves to {ipaddress.ip_address(a)} (that is {v4}), "
        "a loopback, private or reserved address (set WEBHOOKS_ALLOW_PRIVATE=true to allow these)."
        for a, v4 in EMBEDDING.items()
    )
    assert errors == expected
    assert network.connects == []


def _certificates(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A CA (trusted through SSL_CERT_FILE) and a certificate it signed for `name` only."""
    ca_key, ca, key, request, cert = (
        folder / n for n in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem")
    )
    ext = folder / "leaf.ext"
    ext.write_text(f"subjectAltName=DNS:{name}\n")
    for command in (
        f"req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout {ca_key} -out {ca}",
        f"req -newkey rsa:2048 -nodes -subj /CN={name} -keyout {key} -out {request}",
        f"x509 -req -in {request} -CA {ca} -CAkey {ca_key} -CAcreateserial -days 1 "
        f"-extfile {ext} -out {cert}",
    ):
        subprocess.run(["openssl", *command.split()], check=True, capture_output=True)
    return ca, cert, key


@pytest.fixture
def tls_receiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[int, list[str | None]]]:
    """An HTTPS receiver on loopback for `tls.test`: its port, and the server names (SNI)
    its clients asked for."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make certificates")
    ca, cert, key = _certificates(tmp_path, "tls.test")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # read when the guard makes its context
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)
    with receiving() as plain:
        plain.server.socket = context.wrap_socket(plain.server.socket, server_side=True)
        yield urlsplit(plain.url).port or 0, names


def test_tls_is_checked_for_the_name_while_the_checked_address_is_connected_to(
    app_with: Callable[..., RecordingClient],
    admin_headers: dict[str, str],
    network: Network,
    tls_receiver: tuple[int, list[str | None]],
) -> None:
    port, server_names = tls_receiver
    client = app_with()  # WEBHOOKS_ALLOW_PRIVATE (the receiver is on loopback)
    network.names["tls.test"] = itertools.repeat(["127.0.0.1"])
    network.names["other.test"] = itertools.repeat(["127.0.0.1"])
    good = subscribe(client, admin_headers, f"https://tls.test:{port}/hook")
    wrong = subscribe(client, admin_headers, f"https://other.test:{port}/hook")
    _ping(client, admin_headers, good)
    _ping(client, admin_headers, wrong)
    [ok] = deliveries(client, admin_headers, good["id"])
    [refused] = deliveries(client, admin_headers, wrong["id"])
    assert (ok["state"], ok["attempts"][0]["status_code"]) == ("delivered", 200), ok
    assert refused["state"] == "failed"
    assert "CERTIFICATE_VERIFY_FAILED" in refused["attempts"][0]["error"], refused
    assert sorted(n or "" for n in server_names) == ["other.test", "tls.test"]
    assert network.connects == ["127.0.0.1", "127.0.0.1"]
