"""Imports as jobs (`Prefer: respond-async`): 202 and a job to poll, its progress at each
batch commit, and at the end the report (or problem) the synchronous import answers."""

import itertools
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.db import unit_of_work
from app.models import ImportJob, ImportJobState, KeyScope, utcnow
from tests.conftest import RecordingClient, _clean, _make_key
from tests.imports.helpers import NDJSON, article_line, ndjson, post_import

FIXTURES = Path(__file__).parent / "fixtures"
ASYNC = {"Prefer": "respond-async"}
COUNTS = ("read", "created", "updated", "unchanged", "failed")


def start_job(
    client: RecordingClient, headers: dict[str, str], body: bytes, **params: Any
) -> dict[str, Any]:
    response = client.post(
        "/v1/imports", content=body, headers={**NDJSON, **headers, **ASYNC}, params=params
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/v1/imports/jobs/{job['id']}"
    assert job["state"] in ("queued", "running")
    return dict(job)


def poll(
    client: RecordingClient, headers: dict[str, str], job_id: str, seen: list[dict[str, Any]]
) -> dict[str, Any]:
    """The job once it ended; every state read on the way is appended to `seen`."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        response = client.get(f"/v1/imports/jobs/{job_id}", headers=headers)
        assert response.status_code == 200, response.text
        job = response.json()
        seen.append(job)
        if job["state"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.01)  # a poll's pace, not a wait for anything in particular
    raise AssertionError(f"job {job_id} still {seen[-1]['state']} after 60 s")


def test_a_job_imports_what_the_synchronous_import_does_with_progress_on_the_way(
    client: RecordingClient,
    editor_headers: dict[str, str],
    settings: Settings,
    db: Engine,
    sessions: sessionmaker[Session],
) -> None:
    settings.import_batch_size = 10  # progress 30 times
    lines: list[Any] = [article_line(n) for n in range(300)]
    lines[7] = "{not json"
    lines[123] = article_line(123, status="nonsense")
    body = ndjson(lines)

    job = start_job(client, editor_headers, body)
    seen: list[dict[str, Any]] = []
    done = poll(client, editor_headers, job["id"], seen)

    assert done["state"] == "done", done
    report = done["report"]
    assert (report["created"], report["failed"], report["items"]) == (298, 2, 300)
    assert [done["counts"][k] for k in COUNTS] == [300, 298, 0, 0, 2]
    progress = [[s["counts"][k] for k in COUNTS] for s in seen]
    assert all(
        all(a <= b for a, b in zip(before, after, strict=True))
        for before, after in itertools.pairwise(progress)
    ), progress
    exported = client.get("/v1/exports", headers=editor_headers)
    assert exported.status_code == 200
    assert exported.text.count('"external_id":"wire-') == 298

    settings.import_batch_size = 500  # the report is the same, whatever the batch size
    # The same file, synchronously, into an empty database: the same report.
    _clean(db)
    fresh = {"Authorization": f"Bearer {_make_key(sessions, KeyScope.WRITE)}"}
    assert post_import(client, fresh, body) == report
    # And a re-run as a job reports what a synchronous re-run does: all unchanged.
    again = poll(client, fresh, start_job(client, fresh, body)["id"], [])
    assert again["report"] == post_import(client, fresh, body)
    assert again["report"]["unchanged"] == 298


def test_a_converted_feed_as_a_job(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    feed = (FIXTURES / "wire.rss").read_bytes()
    rss = {"Content-Type": "application/rss+xml"}

    done = poll(
        client,
        editor_headers,
        start_job(client, {**editor_headers, **rss}, feed, format="rss")["id"],
        [],
    )

    assert done["state"] == "done", done
    assert done["report"]["format"] == "rss"
    assert done["report"]["created"] > 0
    sync = client.post(
        "/v1/imports", content=feed, headers={**editor_headers, **rss}, params={"format": "rss"}
    )
    assert sync.status_code == 200
    assert sync.json()["unchanged"] == done["report"]["created"]


def test_a_bad_file_as_a_job_fails_with_the_problem_the_synchronous_import_gives(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    xml = {**editor_headers, "Content-Type": "application/xml"}
    sync = client.post("/v1/imports", content=page, headers=xml, params={"format": "rss"})
    assert sync.status_code == 422

    failed = poll(client, editor_headers, start_job(client, xml, page, format="rss")["id"], [])

    assert failed["state"] == "failed"
    assert failed["report"] is None
    problem = failed["problem"]
    assert (problem["status"], problem["title"], problem["detail"]) == (
        422,
        sync.json()["title"],
        sync.json()["detail"],
    )


def test_jobs_need_a_write_key_and_an_unknown_job_is_a_404(
    client: RecordingClient, editor_headers: dict[str, str], reader_headers: dict[str, str]
) -> None:
    refused = client.post(
        "/v1/imports",
        content=ndjson([article_line(1)]),
        headers={**NDJSON, **reader_headers, **ASYNC},
    )
    assert refused.status_code == 403
    job = start_job(client, editor_headers, ndjson([article_line(1)]))
    poll(client, editor_headers, job["id"], [])
    read = client.get(f"/v1/imports/jobs/{job['id']}", headers=reader_headers)
    assert read.status_code == 403
    assert read.headers["content-type"].startswith("application/problem+json")

    missing = client.get(f"/v1/imports/jobs/{uuid.uuid4()}", headers=editor_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    bad = client.get("/v1/imports/jobs/not-a-job", headers=editor_headers)
    assert bad.status_code == 422


def test_a_job_whose_process_stopped_reads_as_interrupted(
    client: RecordingClient, editor_headers: dict[str, str], sessions: sessionmaker[Session]
) -> None:
    # A row as a server that died part-way leaves it: running, counts, no recent beat.
    long_ago = utcnow() - timedelta(minutes=10)
    with unit_of_work(sessions) as session:
        job = ImportJob(
            state=ImportJobState.RUNNING,
            format="ndjson",
            dry_run=False,
            read=1000,
            created=1000,
            updated=0,
            unchanged=0,
            failed=0,
            created_at=long_ago,
            heartbeat_at=long_ago,
        )
        session.add(job)
        session.flush()
        job_id = job.id

    read = client.get(f"/v1/imports/jobs/{job_id}", headers=editor_headers).json()

    assert read["state"] == "interrupted"
    assert read["counts"]["created"] == 1000
    assert "re-run the same import" in read["message"]


def test_a_job_on_a_real_server_is_polled_over_its_own_connections(
    live_server: str, editor_headers: dict[str, str], db: Engine
) -> None:
    """`dopys serve`: the upload's request ends at the 202; the import goes on in the
    server's process, and each poll is a new connection reading the job's row."""
    body = ndjson([article_line(n) for n in range(120)])
    started = httpx2.post(
        f"{live_server}/v1/imports",
        content=body,
        headers={**NDJSON, **editor_headers, **ASYNC},
        timeout=30,
    )
    assert started.status_code == 202, started.text
    location = f"{live_server}{started.headers['location']}"
    deadline = time.monotonic() + 60
    while (job := httpx2.get(location, headers=editor_headers, timeout=10).json())["state"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.02)  # a poll's pace
    assert job["state"] == "done", job
    assert job["report"]["created"] == 120
