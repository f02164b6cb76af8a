"""The API as real processes: `dopys serve` (uvicorn) on a free port, and the CLI."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOPYS = str(Path(sys.executable).parent / "dopys")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}


@contextmanager
def serving(
    database_url: str, log: Path, env: dict[str, str] | None = None, **settings: str
) -> Iterator[str]:
    """`dopys serve` in its own process on the (already migrated) database: its base URL.
    `env` and `settings` become environment variables (`FORWARDED_ALLOW_IPS="127.0.0.1"`)."""
    server, url = start_server(database_url, log, {**(env or {}), **settings})
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def start_server(
    database_url: str, log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`dopys serve` started and answering (the caller stops it): the process, its URL.

    The suite runs on several worker processes, so a free port can be taken by another
    worker's server between our look and the bind: then we try another port."""
    for _ in range(3):
        port = free_port()
        start = log.stat().st_size if log.exists() else 0
        with log.open("ab") as out:
            server = subprocess.Popen(
                [DOPYS, "serve", "--port", str(port), "--no-migrate"],
                env={**cli_env(database_url), **(env or {})}, cwd=ROOT, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        if _wait_until_up(url, server, log, start):
            return server, url
    pytest.fail(f"dopys serve found no free port:\n{log.read_text()}")


def _wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, start: int = 0, timeout: float = 30
) -> bool:
    """True once the server answers; False if it lost its port to another process (its
    log from byte `start` on says so)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx2.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx2.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            server.wait()
            with log.open("rb") as written:
                written.seek(start)
                if b"address already in use" in written.read().lower():
                    return False
            pytest.fail(f"dopys serve did not start:\n{log.read_text()}")
        time.sleep(0.1)
