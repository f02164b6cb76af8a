"""Webhooks from real `dopys serve` processes: nothing lost when one is killed right after
an import commits, nothing sent twice by two processes on one PostgreSQL."""

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine

from tests.factories import iso
from tests.imports.helpers import NDJSON, article_line, ndjson
from tests.processes import DOPYS, ROOT, cli_env, free_port, serving, start_server
from tests.webhooks.conftest import FAST_ENV
from tests.webhooks.receiver import Receiver, receiving


def _subscribe(base: str, admin_headers: dict[str, str], url: str) -> str:
    made = httpx2.post(f"{base}/v1/webhooks", json={"url": url}, headers=admin_headers)
    assert made.status_code == 201, made.text
    return str(made.json()["secret"])


def _import(base: str, headers: dict[str, str], count: int) -> None:
    body = ndjson(article_line(n) for n in range(count))
    response = httpx2.post(
        f"{base}/v1/imports", content=body, headers={**headers, **NDJSON}, timeout=120
    )
    assert response.status_code == 200, response.text
    assert response.json()["created"] == count


def _exactly_once(receiver: Receiver, secret: str, count: int, timeout: float) -> None:
    receiver.wait_count(count, timeout=timeout)
    time.sleep(1)  # anything sent twice would come now
    accepted = receiver.accepted()
    assert len(accepted) == count, len(accepted)
    assert len(receiver.received) == count  # no failed try either
    assert set(Counter(r.id for r in accepted).values()) == {1}  # each webhook-id once
    payloads = [r.verified(secret) for r in accepted]
    assert {p["type"] for p in payloads} == {"article.published"}
    assert len({p["data"]["id"] for p in payloads}) == count


def test_no_event_is_lost_when_serve_is_killed_right_after_an_import(
    db: Engine,
    database_url: str,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    port = free_port()  # the receiver is down until after the crash
    log = tmp_path / "serve.log"
    server, base = start_server(database_url, log, FAST_ENV)
    try:
        secret = _subscribe(base, admin_headers, f"http://127.0.0.1:{port}/hook")
        _import(base, editor_headers, 500)
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    with receiving(port) as receiver, serving(database_url, log, FAST_ENV):
        _exactly_once(receiver, secret, 500, timeout=60)


def test_two_serve_processes_deliver_each_event_exactly_once(
    db: Engine,
    database_url: str,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes deliver on PostgreSQL; SQLite runs one")
    with (
        receiving() as receiver,
        serving(database_url, tmp_path / "a.log", FAST_ENV) as a,
        serving(database_url, tmp_path / "b.log", FAST_ENV),
    ):
        secret = _subscribe(a, admin_headers, receiver.url)
        # A scheduled article too: both processes see it come due; one sends it.
        scheduled = httpx2.post(
            f"{a}/v1/editor/articles",
            json={
                "original_lang": "uk",
                "status": "published",
                "published_at": iso(datetime.now(UTC) + timedelta(seconds=3)),
                "translations": [{"lang": "uk", "title": "О восьмій", "body": ""}],
            },
            headers=editor_headers,
        )
        assert scheduled.status_code == 201, scheduled.text
        _import(a, editor_headers, 1000)
        _exactly_once(receiver, secret, 1001, timeout=90)


def test_dopys_webhooks_work_delivers_on_its_own(
    db: Engine,
    database_url: str,
    admin_headers: dict[str, str],
    editor_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    log = tmp_path / "serve.log"
    no_worker = {**FAST_ENV, "WEBHOOKS_WORKER": "false"}
    with receiving() as receiver, serving(database_url, log, no_worker) as base:
        secret = _subscribe(base, admin_headers, receiver.url)
        _import(base, editor_headers, 3)
        time.sleep(1)
        assert receiver.received == []
        with (tmp_path / "work.log").open("wb") as out:
            work = subprocess.Popen(
                [DOPYS, "webhooks", "work"],
                env={**cli_env(database_url), **FAST_ENV}, cwd=ROOT, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _exactly_once(receiver, secret, 3, timeout=30)
        finally:
            work.send_signal(signal.SIGTERM)
            assert work.wait(timeout=20) == 0
