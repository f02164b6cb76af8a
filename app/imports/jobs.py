"""Import jobs (`Prefer: respond-async`): the upload is spooled, the import runs in the
background of the process that took it, and its state lives in `import_jobs`, so any
worker process of the server answers a poll. Progress is written at each batch commit; a
job whose process stopped beating reads as interrupted."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import unit_of_work
from app.core.errors import PROBLEM_TYPE_BASE, AppError, NotFound, Problem
from app.imports.schemas import ImportJobCounts, ImportJobOut, ImportReport
from app.models import ImportJob, ImportJobState, utcnow

HEARTBEAT_SECONDS = 5.0
# No beat for this long: the process running the job is gone (a restart, a crash).
STALE_SECONDS = 60.0
INTERRUPTED = (
    "The server process running this import stopped. What its committed batches stored "
    "stays; re-run the same import to complete it (what is stored already is reported "
    "unchanged)."
)


def create(sessions: sessionmaker[Session], fmt: str, dry_run: bool) -> ImportJobOut:
    with unit_of_work(sessions) as session:
        job = ImportJob(format=fmt, dry_run=dry_run, state=ImportJobState.QUEUED)
        now = utcnow()
        job.created_at = job.heartbeat_at = now
        for name in ("read", "created", "updated", "unchanged", "failed"):
            setattr(job, name, 0)
        session.add(job)
        session.flush()
        return _out(job)


def progress(sessions: sessionmaker[Session], job_id: uuid.UUID, report: ImportReport) -> None:
    """The counts so far (and a heartbeat): called after each batch commit."""
    _set(sessions, job_id, state=ImportJobState.RUNNING, **_counts(report))


def beat(sessions: sessionmaker[Session], job_id: uuid.UUID) -> None:
    _set(sessions, job_id, state=ImportJobState.RUNNING)


def finish(sessions: sessionmaker[Session], job_id: uuid.UUID, report: ImportReport) -> None:
    _set(
        sessions,
        job_id,
        state=ImportJobState.DONE,
        report=report.model_dump(mode="json"),
        finished_at=utcnow(),
        **_counts(report),
    )


def fail(
    sessions: sessionmaker[Session],
    job_id: uuid.UUID,
    error: AppError,
    report: ImportReport | None = None,
) -> None:
    """The problem the synchronous import would have answered, and what was stored."""
    problem = Problem(
        type=PROBLEM_TYPE_BASE + error.code,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=f"/v1/imports/jobs/{job_id}",
        errors=error.errors,
    )
    _set(
        sessions,
        job_id,
        state=ImportJobState.FAILED,
        problem=problem.model_dump(mode="json", exclude_none=True),
        finished_at=utcnow(),
        **(_counts(report) if report is not None else {}),
    )


def get(sessions: sessionmaker[Session], job_id: uuid.UUID) -> ImportJobOut:
    with sessions() as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise NotFound(f"No import job {job_id}.")
        return _out(job)


def _set(sessions: sessionmaker[Session], job_id: uuid.UUID, **values: Any) -> None:
    with unit_of_work(sessions) as session:
        session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(heartbeat_at=utcnow(), **values)
        )


def _counts(report: ImportReport) -> dict[str, int]:
    done = report.created + report.updated + report.unchanged + report.failed
    return {
        "read": max(report.items, done + report.skipped),
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "failed": report.failed,
    }


def _out(job: ImportJob) -> ImportJobOut:
    state, message = job.state, None
    stale = utcnow() - job.heartbeat_at > timedelta(seconds=STALE_SECONDS)
    if state in (ImportJobState.QUEUED, ImportJobState.RUNNING) and stale:
        state, message = ImportJobState.INTERRUPTED, INTERRUPTED
    return ImportJobOut(
        id=job.id,
        state=state.value,
        format=job.format,
        dry_run=job.dry_run,
        counts=ImportJobCounts(
            read=job.read,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            failed=job.failed,
        ),
        report=ImportReport.model_validate(job.report) if job.report is not None else None,
        problem=Problem.model_validate(job.problem) if job.problem is not None else None,
        message=message,
        created_at=job.created_at,
        heartbeat_at=job.heartbeat_at,
        finished_at=job.finished_at,
    )
