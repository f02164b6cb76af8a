"""POST /v1/imports: a streamed NDJSON body, written a batch per transaction."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.core.deps import SettingsDep, require_write_key
from app.core.errors import PayloadTooLarge, UnsupportedMediaType, problem_responses
from app.imports.parsing import LineSplitter
from app.imports.schemas import NDJSON_MEDIA_TYPE, ImportReport
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
        "required": True,
        "description": (
            "One article per line (UTF-8 NDJSON), the line format GET /v1/exports writes: "
            "external_id, original_lang, status, published_at, cover_image_url, tags, "
            "citations, translations. Read as a stream; a line may be up to 16 MiB."
        ),
        "content": {NDJSON_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "",
    dependencies=[Depends(require_write_key)],
    responses=problem_responses(401, 403, 413, 415, 422, 503),
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
    _check_request(request, settings.max_import_bytes)
    factory = request.app.state.read_sessions if dry_run else request.app.state.write_sessions
    run = ImportRun(factory, dry_run=dry_run)
    splitter = LineSplitter()
    pending: list[NumberedLine] = []
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > settings.max_import_bytes:
                raise PayloadTooLarge(_too_large(settings.max_import_bytes, run.report))
            pending += splitter.feed(chunk)
            while len(pending) >= run.batch_size:
                await run_in_threadpool(run.process, pending[: run.batch_size])
                del pending[: run.batch_size]
    except ClientDisconnect:
        # Nobody reads the answer; what the committed batches hold stays, the rest is dropped.
        logger.info("import cancelled by the client; %s lines done", _done(run.report))
        return run.report
    pending += splitter.close()
    if pending:
        await run_in_threadpool(run.process, pending)
    return run.report


def _check_request(request: Request, limit: int) -> None:
    media_type = request.headers.get("content-type", NDJSON_MEDIA_TYPE).split(";")[0].strip()
    if media_type.lower() not in ACCEPTED_MEDIA_TYPES:
        raise UnsupportedMediaType(f"Send NDJSON as Content-Type: {NDJSON_MEDIA_TYPE}.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"An import may be up to {limit} bytes; split the file.")


def _too_large(limit: int, report: ImportReport) -> str:
    return (
        f"An import may be up to {limit} bytes; split the file. The first {_done(report)} "
        "lines were imported; re-running the same file skips them as unchanged."
    )


def _done(report: ImportReport) -> int:
    return report.created + report.updated + report.unchanged + report.failed
