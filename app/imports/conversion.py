"""Imports of other systems' exports (WordPress, Ghost, feeds): a converter's items in, the
NDJSON upsert (app.imports.service) in batches, and one report that says, per kind of
item, what was created, updated, unchanged, skipped (why) and failed (why, and where in
the file)."""

from array import array
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from app.imports.formats.common import ConversionFailed, Converted, Failed, Item, Remark
from app.imports.schemas import ImportReport, ItemNote, KindCounts, LineError
from app.imports.service import ImportRun, NumberedLine

MAX_LISTED = 1000


class ImportStopped(Exception):
    """The file stopped being readable part-way; what came before it was imported."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


class NoItems(ImportStopped):
    """The file holds no item at all (an empty file, an HTML page sent as a feed...)."""


def nothing_imported(report: ImportReport) -> bool:
    """A file with items none of which was stored (or found stored already)."""
    return bool(report.items) and not (report.created + report.updated + report.unchanged)


class _Sources:
    """Where each converted line came from, by line number: kind, item number, XML line
    (flat arrays: a few bytes a line, whatever the file's size)."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.items = array("L")
        self.lines = array("L")

    def add(self, item: Converted | Failed) -> int:
        self.kinds.append(item.kind)
        self.items.append(item.item)
        self.lines.append(item.source_line or 0)
        return len(self.kinds)

    def kind_of(self, number: int, data: dict[str, Any] | None) -> str:
        return self.kinds[number - 1] if 0 < number <= len(self.kinds) else "item"


def import_items(
    items: Iterator[Item],
    run: ImportRun,
    *,
    progress: Callable[[int, ImportReport], None] | None = None,
) -> ImportReport:
    """Convert and store, a batch per transaction; raises ImportStopped (with the report
    of what was stored) when the file breaks off part-way."""
    sources = _Sources()
    run.kind_of = sources.kind_of
    report = run.report
    pending: list[NumberedLine] = []
    failures: list[LineError] = []  # items that never became a line, reported with the batch
    seen = 0

    def flush() -> None:
        if pending or failures:
            run.process(pending, failures)
            pending.clear()
            failures.clear()
        if progress is not None:
            progress(seen, report)

    try:
        for item in items:
            if isinstance(item, Remark):
                report.remarks.append(item.message)
                continue
            seen += 1
            report.items += 1
            if isinstance(item, Converted):
                number = sources.add(item)
                pending.append((number, orjson.dumps(item.line)))
                for note in item.notes:
                    _listed(report.notes, _note(item, note))
            elif isinstance(item, Failed):
                number = sources.add(item)
                failures += [error.model_copy(update={"line": number}) for error in item.errors]
            else:
                report.skipped += 1
                report.kinds.setdefault(item.kind, KindCounts()).skipped += 1
                skipped = ItemNote(
                    kind=item.kind,
                    item=item.item,
                    source_line=item.source_line,
                    source_id=item.source_id,
                    message=item.reason,
                )
                _listed(report.skipped_items, skipped)
            if len(pending) + len(failures) >= run.batch_size:
                flush()
    except ConversionFailed as exc:
        flush()
        _locate(report, sources)
        raise ImportStopped(_stopped(exc, report), report) from exc
    flush()
    _locate(report, sources)
    if not report.items:
        why = " ".join(report.remarks)
        raise NoItems(
            f"No items found in this {report.format} file (empty, or an HTML page?): nothing "
            f"was imported.{' ' + why if why else ''}",
            report,
        )
    return report


def _note(item: Converted, message: str) -> ItemNote:
    return ItemNote(
        kind=item.kind,
        item=item.item,
        source_line=item.source_line,
        source_id=item.source_id,
        message=message,
    )


def _listed(notes: list[ItemNote], note: ItemNote) -> None:
    if len(notes) < MAX_LISTED:
        notes.append(note)


def _locate(report: ImportReport, sources: _Sources) -> None:
    """Each failed line's kind and place in the source file."""
    for error in report.errors:
        if 0 < error.line <= len(sources.kinds):
            error.kind = sources.kinds[error.line - 1]
            error.item = sources.items[error.line - 1]
            error.source_line = sources.lines[error.line - 1] or None


def _stopped(exc: ConversionFailed, report: ImportReport) -> str:
    located = exc.source_line is None or f"line {exc.source_line}" in str(exc)
    where = "" if located else f" (line {exc.source_line})"
    if not report.items:
        return f"{exc}{where}"
    written = report.created + report.updated
    problem = str(exc).rstrip(".")
    return (
        f"{problem}{where}. Stopped after {report.items} items: {written} articles were written "
        f"({report.created} created, {report.updated} updated; {report.unchanged} unchanged). "
        "Re-running the complete file finishes the import: what is already stored is "
        "reported unchanged."
    )
