"""POST /v1/imports: a streamed NDJSON body, written a batch per transaction."""

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.core.config import Settings
from app.core.deps import SettingsDep, require_write_key
from app.core.errors import (
    WRITE_STATUSES,
    PayloadTooLarge,
    UnsupportedMediaType,
    problem_responses,
)
from app.core.memory import release_freed_memory
from app.imports.parsing import LineSplitter
from app.imports.schemas import EXPORT_DOC, NDJSON_MEDIA_TYPE, ImportReport
from app.imports.service import ImportRun, NumberedLine

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/imports", tags=["imports"])

ACCEPTED_MEDIA_TYPES = {
    NDJSON_MEDIA_TYPE,
    "application/jsonl",
    "application/x-jsonlines",
    "application/octet-stream",
    "text/plain",
}

_BODY_DOC = {
    "requestBody": {
        # An empty file is an empty import (all counts 0), not an error.
        "required": False,
        "description": (
            "One article per line (UTF-8 NDJSON), the line format GET /v1/exports writes: "
            "external_id, id, original_lang, type, status, visibility, published_at, updated_at, "
            "canonical_url, cover_image (or the older cover_image_url), tags, "
            "citations, translations. Read as a stream; a line may be up to 16 MiB. An "
            f"empty body imports nothing. {EXPORT_DOC}"
        ),
        "content": {NDJSON_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "",
    dependencies=[Depends(require_write_key)],
    responses=problem_responses(*WRITE_STATUSES, 401, 403, 415, 422, 503),
    openapi_extra=_BODY_DOC,
)
async def import_articles(
    request: Request,
    settings: SettingsDep,
    dry_run: Annotated[
        bool, Query(description="Validate every line and report; write nothing.")
    ] = False,
) -> ImportReport:
    """Upsert articles by `external_id`, streaming: each batch of lines is committed on its
    own, bad lines are reported (line, field, message) without stopping the good ones.
    Re-running a file reports its lines `unchanged`; an interrupted import is completed by
    running it again."""
    _check_request(request)
    factory = request.app.state.read_sessions if dry_run else request.app.state.write_sessions
    run = ImportRun(factory, dry_run=dry_run)
    try:
        return await _stream(request, settings, run)
    finally:
        # A bulk import's batches are garbage now: hand them back, so the worker does not
        # serve reads at the size of its largest import (not worth a full collection for
        # an editor's import of a few lines).
        if _done(run.report) >= run.batch_size:
            await run_in_threadpool(release_freed_memory)


async def _stream(request: Request, settings: Settings, run: ImportRun) -> ImportReport:
    pipeline = _Pipeline(run, request.app.state.read_sessions)
    splitter = LineSplitter()
    pending: list[NumberedLine] = []
    try:
        async for chunk in request.stream():
            pending += splitter.feed(chunk)
            while len(pending) >= run.batch_size:
                await pipeline.push(pending[: run.batch_size])
                del pending[: run.batch_size]
    except ClientDisconnect:
        # Nobody reads the answer; what the committed batches hold stays, the rest is dropped.
        await pipeline.drain()
        logger.info("import cancelled by the client; %s lines done", _done(run.report))
        return run.report
    except PayloadTooLarge as exc:
        # app.core.guards counts the body as it streams in (max_import_bytes): say how far
        # the import got.
        await pipeline.drain()
        raise PayloadTooLarge(_too_large(settings.max_import_bytes, run.report)) from exc
    except BaseException:
        await pipeline.drain(quiet=True)
        raise
    pending += splitter.close()
    if pending:
        await pipeline.push(pending)
    await pipeline.drain()
    return run.finish()


class _Pipeline:
    """Two stages on two threads: while the database writes batch n, Python decodes,
    validates and sanitizes batch n + 1 (database calls release the GIL, and there are
    cores to spare). Batches are still stored one at a time, in order."""

    def __init__(self, run: ImportRun, hints: sessionmaker[Session]) -> None:
        self._run = run
        self._hints = hints
        self._storing: asyncio.Future[None] | None = None

    async def push(self, lines: list[NumberedLine]) -> None:
        batch = await run_in_threadpool(self._run.prepare, lines, self._hints)
        await self.drain()
        self._storing = asyncio.ensure_future(run_in_threadpool(self._run.store, batch))

    async def drain(self, *, quiet: bool = False) -> None:
        """Wait for the batch being stored; `quiet` swallows its error (another is raised)."""
        storing, self._storing = self._storing, None
        if storing is None:
            return
        try:
            await storing
        except Exception:
            if not quiet:
                raise
            logger.exception("import batch failed while the request was failing")


def _check_request(request: Request) -> None:
    media_type = request.headers.get("content-type", NDJSON_MEDIA_TYPE).split(";")[0].strip()
    if media_type.lower() not in ACCEPTED_MEDIA_TYPES:
        raise UnsupportedMediaType(f"Send NDJSON as Content-Type: {NDJSON_MEDIA_TYPE}.")


def _too_large(limit: int, report: ImportReport) -> str:
    detail = f"An import may be up to {limit} bytes; split the file."
    if _done(report):
        detail += (
            f" The first {_done(report)} lines were imported; re-running the same file skips "
            "them as unchanged."
        )
    return detail


def _done(report: ImportReport) -> int:
    return report.created + report.updated + report.unchanged + report.failed
