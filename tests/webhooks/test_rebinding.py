"""A real DNS rebinding, as the probe did it: a hosts entry flipped between a public
address and 127.0.0.1 every 0.2 ms while pings fire, against `dopys serve` running in a
network namespace the test makes. Not one request reaches the loopback receiver.

The namespace has only its loopback interface, which also holds the "public" address:
every connection stays inside it, on this machine. `ip netns exec` gives the server the
namespace's own /etc/hosts (/etc/netns/NAME/hosts), so the flips touch no other process.
Needs root and `ip netns`; skipped otherwise."""

import contextlib
import ctypes
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import Engine, make_url

from tests.processes import DOPYS, ROOT, cli_env, free_port
from tests.webhooks.conftest import FAST_ENV
from tests.webhooks.receiver import receiving

PUBLIC = "1.2.3.4"  # the namespace's own address here: nothing leaves the namespace
NAME = "rebind.test"
PINGS = 100
_CLONE_NEWNET = 0x40000000


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def namespace() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("a network namespace needs root and iproute2's `ip netns`")
    name = f"dopys-{os.getpid()}-{secrets.token_hex(3)}"
    try:
        _ip("netns", "add", name)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"`ip netns add` is unavailable here: {exc.stderr.decode().strip()}")
    etc = Path("/etc/netns") / name
    try:
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "address", "add", f"{PUBLIC}/32", "dev", "lo")
        links = subprocess.run(["ip", "-n", name, "-o", "link"], capture_output=True, text=True)
        assert [line.split(":")[1].strip() for line in links.stdout.splitlines()] == ["lo"]
        etc.mkdir(parents=True)
        (etc / "hosts").write_text(f"{PUBLIC} {NAME}\n")
        yield name
    finally:
        _ip("netns", "delete", name)
        shutil.rmtree(etc, ignore_errors=True)


@contextlib.contextmanager
def inside(namespace: str) -> Iterator[None]:
    """This thread in the namespace: the sockets it makes meanwhile belong to it."""
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        assert libc.setns(target, _CLONE_NEWNET) == 0, os.strerror(ctypes.get_errno())
        yield
    finally:
        assert libc.setns(own, _CLONE_NEWNET) == 0, os.strerror(ctypes.get_errno())
        os.close(own)
        os.close(target)


@contextlib.contextmanager
def flipping(hosts: Path, every: float = 0.0002) -> Iterator[None]:
    """The name answers PUBLIC, then 127.0.0.1, then PUBLIC... (rewritten in place: the
    namespace's /etc/hosts is a bind mount of this very file)."""
    stop = threading.Event()

    def flip() -> None:
        lines = [f"{PUBLIC} {NAME}\n", f"127.0.0.1 {NAME}\n"]
        with hosts.open("r+") as out:
            for n in range(10**9):
                out.seek(0)
                out.write(lines[n % 2])
                out.truncate()
                out.flush()
                if stop.wait(every):
                    return

    thread = threading.Thread(target=flip, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _database_inside(database_url: str) -> str:
    """The namespace has its own loopback: PostgreSQL is reached by its Unix socket."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return database_url
    socket_dir = "/var/run/postgresql"
    if not Path(socket_dir, f".s.PGSQL.{url.port or 5432}").exists():
        pytest.skip("PostgreSQL has no Unix socket to reach from a network namespace")
    return (
        url.set(host="", port=None)
        .update_query_dict({"host": socket_dir})
        .render_as_string(hide_password=False)
    )


@contextlib.contextmanager
def serving_inside(namespace: str, database_url: str, log: Path) -> Iterator[str]:
    port = free_port()
    env = {**cli_env(_database_inside(database_url)), **FAST_ENV}
    env |= {"WEBHOOKS_ALLOW_PRIVATE": "false", "WEBHOOKS_POLL_SECONDS": "0.05"}
    with log.open("ab") as out:
        server = subprocess.Popen(
            ["ip", "netns", "exec", namespace, DOPYS, "serve", "--port", str(port),
             "--no-migrate"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with inside(namespace), contextlib.suppress(httpx2.TransportError):
                if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dopys serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_hosts_entry_flipping_to_loopback_never_gets_a_delivery_there(
    namespace: str,
    db: Engine,
    database_url: str,
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    with contextlib.ExitStack() as stack:
        with inside(namespace):
            public = stack.enter_context(receiving(host=PUBLIC))
            port = int(public.url.rsplit(":", 1)[1].split("/")[0])
            loopback = stack.enter_context(receiving(port=port))
        base = stack.enter_context(serving_inside(namespace, database_url, tmp_path / "s.log"))
        with inside(namespace), httpx2.Client(base_url=base, headers=admin_headers) as api:
            made = api.post("/v1/webhooks", json={"url": f"http://{NAME}:{port}/hook"})
            assert made.status_code == 201, made.text
            hook = made.json()["id"]
            with flipping(Path("/etc/netns") / namespace / "hosts"):
                for _ in range(PINGS):
                    assert api.post(f"/v1/webhooks/{hook}/test").status_code == 202
                attempts = _finished(api, hook)
    errors = [a["error"] or "" for a in attempts]
    assert loopback.received == []
    assert len(attempts) == PINGS
    assert public.accepted(), errors  # the name did answer the public address
    assert any("resolves to 127.0.0.1" in e for e in errors), errors  # and loopback
    assert len(public.accepted()) == sum(a["status_code"] == 200 for a in attempts)
    assert {r.headers["host"] for r in public.accepted()} == {f"{NAME}:{port}"}


def _finished(api: httpx2.Client, hook: int) -> list[dict[str, Any]]:
    """Every attempt of the webhook's deliveries, once none is pending."""
    deadline = time.monotonic() + 60
    while True:
        found = _deliveries(api, hook)
        if all(d["state"] != "pending" for d in found) or time.monotonic() > deadline:
            return [a for d in found for a in d["attempts"]]
        time.sleep(0.1)


def _deliveries(api: httpx2.Client, hook: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    while True:
        page = api.get(f"/v1/webhooks/{hook}/deliveries", params=params).json()
        found += page["data"]
        if page["meta"]["next_cursor"] is None:
            return found
        params["cursor"] = page["meta"]["next_cursor"]
