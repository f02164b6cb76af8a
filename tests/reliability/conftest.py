"""Helpers for the reliability and security suite: routes found by walking the app (so new
endpoints are covered the day they are merged), fresh keys, and the fuzzing tally."""

import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import unit_of_work
from app.keys.service import create_key
from app.main import create_app
from app.models import KeyScope
from tests.conftest import RecordingClient, _clean

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as mounted, with its {parameters}

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"{(\w+)(?::[^}]*)?}", self.path)

    def url(self, values: dict[str, str]) -> str:
        return re.sub(r"{(\w+)(?::[^}]*)?}", lambda m: values.get(m.group(1), "x"), self.path)


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app routes to an API endpoint, documented or not."""
    found = {
        Endpoint(method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in context.methods or ()
    }
    return sorted(found, key=lambda e: (e.path, e.method))


def write_endpoints(app: FastAPI) -> list[Endpoint]:
    return [e for e in endpoints(app) if e.method not in READ_METHODS]


def public_get_operations(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(path, operation) for every GET in the spec that needs no key, bar the probes."""
    return [
        (path, item["get"])
        for path, item in sorted(spec["paths"].items())
        if "get" in item and not item["get"].get("security") and path.startswith("/v1/")
    ]


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app behind a real uvicorn on a free loopback port, for as long as the block runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def baseline_request(
    path: str, operation: dict[str, Any], values: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """The operation's URL and required query parameters, each filled from `values`."""
    url = path
    query = {}
    for param in operation.get("parameters", []):
        value = values.get(param["name"], "x")
        if param["in"] == "path":
            url = url.replace(f"{{{param['name']}}}", value)
        elif param["in"] == "query" and param.get("required"):
            query[param["name"]] = value
    return url, query


def new_key(sessions: sessionmaker[Session], scope: KeyScope = KeyScope.WRITE) -> str:
    with unit_of_work(sessions) as session:
        return create_key(session, name=f"reliability-{scope}", scope=scope).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def reset_database(engine: Engine) -> None:
    """Empty every table: each Hypothesis example starts from nothing, like each test. The
    change counter keeps counting up, as it does in production: the app under test (and
    its response cache, stamped with that counter) lives on between examples."""
    with engine.connect() as conn:
        seq = int(conn.execute(text("SELECT seq FROM sync_state")).scalar_one())
    _clean(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE sync_state SET seq = :seq"), {"seq": seq + 1})


@dataclass
class FuzzTally:
    """What schemathesis did, printed at the end of the run (the figures for the report)."""

    operations: set[str] = field(default_factory=set)
    calls: int = 0
    failures: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    stateful_steps: int = 0

    def validate(
        self,
        case: Any,
        response: Any,
        checks: list[Any],
        sent: dict[str, Any],
        stateful: bool = False,
    ) -> None:
        """Count the call, then run schemathesis's checks on it (`sent`: how it was called,
        for the checks that call again)."""
        self.operations.add(case.operation.label)
        self.calls += 1
        self.stateful_steps += stateful
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks, transport_kwargs=sent)
        except Exception:
            self.failures += 1
            raise


TALLY = FuzzTally()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.calls and not TALLY.stateful_steps:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(TALLY.statuses.items()))
    terminalreporter.write_line(
        f"schemathesis: {len(TALLY.operations)} operations, {TALLY.calls} calls "
        f"({TALLY.stateful_steps} in stateful scenarios), {TALLY.failures} failures; "
        f"statuses {statuses}"
    )


@pytest.fixture
def tally() -> FuzzTally:
    return TALLY


@pytest.fixture
def unlimited_client(db: Engine, settings: Settings) -> Iterator[RecordingClient]:
    """`client`, but with rate limits off: for tests that write many times on purpose."""
    off = {
        "write_rate_limit_per_minute": 0,
        "write_rate_limit_per_ip_per_minute": 0,
        "import_rate_limit_per_minute": 0,
        "import_rate_limit_per_ip_per_minute": 0,
    }
    with RecordingClient(create_app(settings.model_copy(update=off))) as client:
        yield client
        assert client.server_errors == []
