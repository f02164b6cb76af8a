"""Moving NDJSON between a file and a database: in this process (the same service the API
uses) or through a server's /v1/imports and /v1/exports. Streams both ways: a file is
never held whole in memory, whatever its size."""

from collections.abc import Callable, Collection, Iterator
from typing import IO, Any

import httpx2
from sqlalchemy.orm import Session, sessionmaker

from app.exports.service import export_lines
from app.imports.conversion import import_items
from app.imports.formats import CONVERTERS, Format
from app.imports.formats.common import Options
from app.imports.parsing import ExportMarker, LineSplitter, decode
from app.imports.schemas import NDJSON_MEDIA_TYPE, ImportReport
from app.imports.service import ImportRun, NumberedLine

CHUNK_BYTES = 1 << 20
# Connecting must be quick; a batch being written on the server may hold a write back.
TIMEOUT = httpx2.Timeout(300.0, connect=10.0)

Progress = Callable[[int, ImportReport | None], None]  # (lines sent, report so far)


class TransferFailed(Exception):
    """The import or export could not run at all (unreachable server, refused key...)."""


def file_chunks(stream: IO[bytes]) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK_BYTES):
        yield chunk


def import_local(
    stream: IO[bytes],
    fmt: Format,
    options: Options,
    sessions: sessionmaker[Session],
    *,
    dry_run: bool,
    batch_size: int,
    languages: Collection[str],
    progress: Progress,
) -> ImportReport:
    """Import a file into this database; raises ImportStopped when a converted file breaks
    off part-way (what came before is stored and reported)."""
    if fmt != Format.NDJSON:
        run = ImportRun(
            sessions,
            dry_run=dry_run,
            batch_size=batch_size,
            languages=languages,
            lenient_slugs=True,
        )
        run.report.format = fmt.value
        return import_items(CONVERTERS[fmt](stream, options), run, progress=progress)
    run = ImportRun(sessions, dry_run=dry_run, batch_size=batch_size, languages=languages)
    splitter = LineSplitter()
    pending: list[NumberedLine] = []
    done = 0

    def flush(batch: list[NumberedLine]) -> None:
        nonlocal done
        run.process(batch)
        done += len(batch)
        progress(done, run.report)

    for chunk in file_chunks(stream):
        pending += splitter.feed(chunk)
        while len(pending) >= batch_size:
            flush(pending[:batch_size])
            del pending[:batch_size]
    pending += splitter.close()
    if pending:
        flush(pending)
    return run.finish()


def import_remote(
    stream: IO[bytes],
    fmt: Format,
    options: Options,
    url: str,
    key: str,
    *,
    dry_run: bool,
    progress: Progress,
) -> ImportReport:
    """Send the file as it is (the server converts other formats itself, so its report
    tells where in the file each problem is)."""

    def counted() -> Iterator[bytes]:
        sent = 0
        for chunk in file_chunks(stream):
            yield chunk
            sent += chunk.count(b"\n")
            progress(sent, None)

    params: dict[str, str] = {"dry_run": "true"} if dry_run else {}
    if fmt != Format.NDJSON:
        params["format"] = fmt.value
        if options.lang:
            params["lang"] = options.lang
        if options.site_url:
            params["site_url"] = options.site_url
    response = _request(
        "POST",
        url,
        key,
        content=counted(),
        params=params,
        headers={"Content-Type": NDJSON_MEDIA_TYPE if fmt == Format.NDJSON else _MEDIA[fmt]},
    )
    return ImportReport.model_validate_json(response.read())


_MEDIA = {
    Format.WXR: "application/xml",
    Format.RSS: "application/rss+xml",
    Format.ATOM: "application/atom+xml",
    Format.JSONFEED: "application/feed+json",
    Format.GHOST: "application/json",
}


def export_local(sessions: sessionmaker[Session], out: IO[bytes]) -> int:
    return _write_all(export_lines(sessions), out)


def export_remote(url: str, key: str, out: IO[bytes]) -> int:
    try:
        with (
            httpx2.Client(timeout=TIMEOUT) as client,
            client.stream("GET", _endpoint(url, "exports"), headers=_auth(key)) as response,
        ):
            _raise_for(response)
            return _write_all(response.iter_bytes(), out)
    except httpx2.HTTPError as exc:
        raise TransferFailed(f"{url}: {exc}") from exc


def _write_all(chunks: Iterator[bytes], out: IO[bytes]) -> int:
    """Copy an export to `out`; the number of articles its trailer counts. A stream that
    ends without the trailer was cut short: TransferFailed."""
    tail = b""
    for chunk in chunks:
        out.write(chunk)
        tail = (tail + chunk)[-_TAIL_BYTES:]
    out.flush()
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    marker = decode(0, last) if tail.endswith(b"\n") else None
    if not isinstance(marker, ExportMarker) or marker.count is None:
        raise TransferFailed("The export was cut short: it ends before its trailer line.")
    return marker.count


_TAIL_BYTES = 4096  # more than a trailer line needs


def _request(method: str, url: str, key: str, **kwargs: Any) -> httpx2.Response:
    headers = {**kwargs.pop("headers", {}), **_auth(key)}
    try:
        with httpx2.Client(timeout=TIMEOUT) as client:
            response = client.request(method, _endpoint(url, "imports"), headers=headers, **kwargs)
    except httpx2.HTTPError as exc:
        raise TransferFailed(f"{url}: {exc}") from exc
    _raise_for(response)
    return response


def _raise_for(response: httpx2.Response) -> None:
    if response.status_code == 200:
        return
    response.read()
    try:
        problem = response.json()
        detail = problem.get("detail") or problem.get("title")
    except ValueError:
        detail = response.text[:200]
    raise TransferFailed(f"The server answered {response.status_code}: {detail}")


def _endpoint(url: str, name: str) -> str:
    return f"{url.rstrip('/')}/v1/{name}"


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
