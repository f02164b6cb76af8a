"""POST /v1/imports: a streamed NDJSON body, written a batch per transaction."""

import asyncio
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.core.compression import IDENTITY, REQUEST_CODINGS, gunzipped
from app.core.config import Settings
from app.core.db import make_session_factory
from app.core.deps import SettingsDep, require_write_key
from app.core.errors import (
    WRITE_STATUSES,
    AppError,
    FieldError,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
    problem_responses,
)
from app.core.memory import release_freed_memory
from app.core.schemas import Lang, Url
from app.imports import jobs
from app.imports.conversion import ImportStopped, import_items, nothing_imported
from app.imports.formats import CONVERTERS, Format
from app.imports.formats.common import Options
from app.imports.parsing import LineSplitter
from app.imports.schemas import EXPORT_DOC, NDJSON_MEDIA_TYPE, ImportJobOut, ImportReport
from app.imports.service import ImportRun, NumberedLine
from app.imports.workers import CheckPool

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/imports", tags=["imports"])

ACCEPTED_MEDIA_TYPES = {
    NDJSON_MEDIA_TYPE,
    "application/jsonl",
    "application/x-jsonlines",
    "application/octet-stream",
    "text/plain",
}
# Other systems' exports (with `format=`).
EXPORT_MEDIA_TYPES = {
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/json",
    "application/feed+json",
    "application/octet-stream",
    "text/plain",
}
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
SPOOL_CHUNK_BYTES = 1024 * 1024

_BODY_DOC = {
    "requestBody": {
        # An empty file is an empty import (all counts 0), not an error.
        "required": False,
        "description": (
            "One article per line (UTF-8 NDJSON), the line format GET /v1/exports writes: "
            "external_id, id, original_lang, type, status, visibility, published_at, updated_at, "
            "canonical_url, cover_image (or the older cover_image_url), tags, "
            "citations, translations. Read as a stream; a line may be up to 16 MiB. An "
            f"empty body imports nothing. {EXPORT_DOC} With `format=`, another system's export "
            "instead (WordPress WXR, RSS, Atom, JSON Feed, Ghost JSON). Either may be sent "
            "with `Content-Encoding: gzip` (the import limit counts the decompressed bytes); "
            "any other coding is a 415."
        ),
        "content": {
            NDJSON_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "application/json": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.post(
    "",
    response_model=ImportReport,
    dependencies=[Depends(require_write_key)],
    responses={
        202: {
            "model": ImportJobOut,
            "description": "With `Prefer: respond-async`: the upload was read and the import "
            "runs in the background; poll the job at `Location`.",
        },
        **problem_responses(*WRITE_STATUSES, 401, 403, 415, 422, 503),
    },
    openapi_extra=_BODY_DOC,
)
async def import_articles(
    request: Request,
    settings: SettingsDep,
    dry_run: Annotated[
        bool, Query(description="Validate every line and report; write nothing.")
    ] = False,
    format: Annotated[
        Format, Query(description="What the body is: NDJSON lines, or another system's export.")
    ] = Format.NDJSON,
    lang: Annotated[
        Lang | None,
        Query(
            description="The file's language, over the one it declares (a feed's, a WordPress "
            "channel's, a Ghost site's locale); items that name their own keep it. Default: "
            "the file's, else the site's."
        ),
    ] = None,
    site_url: Annotated[
        Url | None, Query(description="The old site's address (Ghost's __GHOST_URL__).")
    ] = None,
) -> ImportReport | Response:
    """Upsert articles by `external_id`, streaming: each batch of lines is committed on its
    own, bad lines are reported (line, field, message) without stopping the good ones.
    Re-running a file reports its lines `unchanged`; an interrupted import is completed by
    running it again. Another system's export (`format=wxr|rss|atom|jsonfeed|ghost`) is
    converted here; the report then says, per kind of item (post, page, attachment, menu
    item...), what was created, updated, unchanged, skipped (and why) and failed (and
    where in the file). A file that breaks off part-way is a 422 saying how much of it
    was written.

    With `Prefer: respond-async` (RFC 7240) the body is read to the end first (a spool
    on disk), then the answer is a `202` with `Location: /v1/imports/jobs/{id}`, and the
    import runs in the background: poll the job for its progress, and its report (or
    problem) when it ends."""
    _check_request(request, format)
    factory = request.app.state.read_sessions if dry_run else request.app.state.write_sessions
    run = ImportRun(
        factory,
        dry_run=dry_run,
        batch_size=settings.import_batch_size,
        languages=settings.site_languages,
        lenient_slugs=format != Format.NDJSON,
    )
    run.report.format = format.value
    options = Options(
        default_lang=settings.default_lang,
        site_url=site_url,
        lang=lang,
        charset=_charset(request),
    )
    if _wants_async(request):
        return await _start_job(request, settings, run, format, options)
    try:
        if format != Format.NDJSON:
            return await _convert(request, settings, run, format, options)
        return await _stream(request.app.state, _body(request, settings), settings, run)
    finally:
        # A bulk import's batches are garbage now: hand them back, so the worker does not
        # serve reads at the size of its largest import (not worth a full collection for
        # an editor's import of a few lines).
        if _done(run.report) >= run.batch_size:
            engine = request.app.state.read_engine if dry_run else request.app.state.engine
            await run_in_threadpool(release_freed_memory, engine)


async def _convert(
    request: Request, settings: Settings, run: ImportRun, fmt: Format, options: Options
) -> ImportReport:
    """Spool the export (to disk past a few MB: converters read it twice or whole), then
    convert and store it on a worker thread."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        await _spool(request, settings, spool)
        return await _convert_spooled(spool, run, fmt, options)


async def _spool(request: Request, settings: Settings, spool: IO[bytes]) -> None:
    """The whole body (decoded) into `spool`, rewound."""
    try:
        async for chunk in _body(request, settings):
            spool.write(chunk)
    except PayloadTooLarge as exc:
        raise PayloadTooLarge(f"An import may be up to {settings.max_import_bytes} bytes.") from exc
    spool.seek(0)


async def _convert_spooled(
    stream: IO[bytes], run: ImportRun, fmt: Format, options: Options
) -> ImportReport:
    try:
        report = await run_in_threadpool(import_items, CONVERTERS[fmt](stream, options), run)
    except ImportStopped as exc:
        raise ValidationFailed(str(exc)) from exc
    if nothing_imported(report):
        raise _nothing_imported(report)
    return report


def _wants_async(request: Request) -> bool:
    """RFC 7240's `Prefer: respond-async` (among other preferences, any case)."""
    prefer = ",".join(request.headers.getlist("prefer"))
    return any(p.split(";")[0].strip().lower() == "respond-async" for p in prefer.split(","))


async def _start_job(
    request: Request, settings: Settings, run: ImportRun, fmt: Format, options: Options
) -> Response:
    """Read the upload to a spool on disk (as fast as it comes: the import limit and body
    deadlines hold), record the job, start it in the background, answer 202."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the job, once it ends)
    try:
        await _spool(request, settings, spool)
        sessions = request.app.state.write_sessions
        job = await run_in_threadpool(jobs.create, sessions, fmt.value, run.report.dry_run)
    except ClientDisconnect:
        spool.close()
        return Response(status_code=400)
    except BaseException:
        spool.close()
        raise
    task = asyncio.create_task(
        _run_job(request.app.state, settings, run, fmt, options, spool, job.id)
    )
    running: set[asyncio.Task[None]] = request.app.state.import_jobs
    running.add(task)  # a reference, or the loop may drop the task half-way
    task.add_done_callback(running.discard)
    location = f"/v1/imports/jobs/{job.id}"
    return JSONResponse(
        job.model_dump(mode="json"), status_code=202, headers={"Location": location}
    )


async def _run_job(
    state: Any,
    settings: Settings,
    run: ImportRun,
    fmt: Format,
    options: Options,
    spool: IO[bytes],
    job_id: uuid.UUID,
) -> None:
    sessions = state.write_sessions
    run.on_commit = lambda report: jobs.progress(sessions, job_id, report)
    beating = asyncio.create_task(_heartbeat(sessions, job_id))
    try:
        await run_in_threadpool(jobs.beat, sessions, job_id)
        if fmt != Format.NDJSON:
            report = await _convert_spooled(spool, run, fmt, options)
        else:
            report = await _stream(state, _spooled(spool), settings, run)
        await run_in_threadpool(jobs.finish, sessions, job_id, report)
    except AppError as exc:
        await run_in_threadpool(jobs.fail, sessions, job_id, exc, run.report)
    except Exception:
        logger.exception("import job %s failed", job_id)
        error = ServiceUnavailable(
            "The import stopped on a server error. What its committed batches stored stays; "
            "re-run the same import to complete it."
        )
        await run_in_threadpool(jobs.fail, sessions, job_id, error, run.report)
    finally:
        beating.cancel()
        spool.close()


async def _heartbeat(sessions: Any, job_id: uuid.UUID) -> None:
    """Beats between batch commits, so a slow batch does not read as a dead process."""
    while True:
        await asyncio.sleep(jobs.HEARTBEAT_SECONDS)
        await run_in_threadpool(jobs.beat, sessions, job_id)


async def _spooled(spool: IO[bytes]) -> AsyncIterator[bytes]:
    while chunk := await run_in_threadpool(spool.read, SPOOL_CHUNK_BYTES):
        yield chunk


@router.get(
    "/jobs/{job_id}",
    dependencies=[Depends(require_write_key)],
    responses=problem_responses(401, 403, 404, 422),
)
async def import_job(request: Request, job_id: uuid.UUID) -> ImportJobOut:
    """An import started with `Prefer: respond-async`: its state (queued, running, done,
    failed, interrupted), the counts its committed batches hold, and when it ends the report
    the synchronous import would have answered (or its problem)."""
    # The primary, not a read replica (a job just started must be found at once), in a
    # read transaction (on SQLite a poll must not queue for the import's write lock).
    sessions = make_session_factory(request.app.state.engine)
    return await run_in_threadpool(jobs.get, sessions, job_id)


def _nothing_imported(report: ImportReport) -> ValidationFailed:
    """A file whose every item was skipped or failed: a 422 that says why, item by item
    (`items[3].translations[0].lang`: the third item of the file, and its field)."""
    problems = [
        (
            n.item,
            FieldError(field=f"items[{n.item}]", message=_at(n.kind, n.source_line, n.message)),
        )
        for n in report.skipped_items
    ] + [
        (
            e.item or e.line,
            FieldError(
                field=f"items[{e.item or e.line}]" + (f".{e.field}" if e.field else ""),
                message=_at(e.kind or "item", e.source_line, e.message),
            ),
        )
        for e in report.errors
    ]
    return ValidationFailed(
        f"Nothing imported: the file has {report.items} items and none of them was stored "
        f"({report.skipped} skipped, {report.failed} failed).",
        errors=[problem for _, problem in sorted(problems, key=lambda p: p[0])],
    )


def _at(kind: str, source_line: int | None, message: str) -> str:
    return f"{kind}{f' (line {source_line})' if source_line else ''}: {message}"


async def _stream(
    state: Any, chunks: AsyncIterator[bytes], settings: Settings, run: ImportRun
) -> ImportReport:
    workers = settings.import_check_workers
    if workers is None:
        workers = 1 if state.engine.dialect.name == "sqlite" else 0
    pipeline = _Pipeline(run, state.read_sessions, workers)
    try:
        return await _stream_batches(chunks, settings, run, pipeline)
    finally:
        await run_in_threadpool(pipeline.close)


async def _stream_batches(
    chunks: AsyncIterator[bytes], settings: Settings, run: ImportRun, pipeline: "_Pipeline"
) -> ImportReport:
    splitter = LineSplitter()
    pending: list[NumberedLine] = []
    try:
        async for chunk in chunks:
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
    """Two stages: while the database writes batch n, batch n + 1 is decoded here and
    checked (validated, sanitized, analysed for search) on a worker process once the
    import is big enough to be worth one (app.imports.workers). Batches are still stored
    one at a time, in order."""

    def __init__(self, run: ImportRun, hints: sessionmaker[Session], workers: int) -> None:
        self._run = run
        self._hints = hints
        self._storing: asyncio.Future[None] | None = None
        self._checker = CheckPool(workers)

    async def push(self, lines: list[NumberedLine]) -> None:
        batch = await run_in_threadpool(self._run.prepare, lines, self._hints, self._checker)
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

    def close(self) -> None:
        self._checker.close()


def _check_request(request: Request, fmt: Format) -> None:
    coding = _coding(request)
    if coding != IDENTITY and coding not in REQUEST_CODINGS:
        raise UnsupportedMediaType(
            f"Content-Encoding '{coding[:40]}' is not read here: send the file as it is, "
            "or gzip-compressed (Content-Encoding: gzip)."
        )
    media_type = request.headers.get("content-type", NDJSON_MEDIA_TYPE).split(";")[0].strip()
    if fmt != Format.NDJSON:
        if media_type.lower() not in EXPORT_MEDIA_TYPES:
            raise UnsupportedMediaType(
                f"Send the {fmt.value} file as application/xml or application/json."
            )
        return
    if media_type.lower() not in ACCEPTED_MEDIA_TYPES:
        raise UnsupportedMediaType(f"Send NDJSON as Content-Type: {NDJSON_MEDIA_TYPE}.")


def _coding(request: Request) -> str:
    return request.headers.get("content-encoding", IDENTITY).strip().lower() or IDENTITY


def _body(request: Request, settings: Settings) -> AsyncIterator[bytes]:
    """The body as it streams in, decoded when it was sent gzip-compressed (the import
    limit then counts the decoded bytes too)."""
    if _coding(request) == IDENTITY:
        return request.stream()
    return gunzipped(request.stream(), settings.max_import_bytes)


def _charset(request: Request) -> str | None:
    """The upload's declared charset (`Content-Type: application/rss+xml; charset=...`)."""
    for param in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


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
