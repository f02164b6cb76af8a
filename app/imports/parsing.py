"""From bytes to validated lines, or to per-line errors that say where and what.

Decoding is cheap and happens for every line (it yields the upsert key and the hash of the
canonical line); full validation runs only for lines whose hash differs from the stored one.
"""

import hashlib
import re
import uuid
from array import array
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.articles import rules
from app.core.errors import field_name
from app.core.schemas import CONTROL_FREE
from app.imports.schemas import ArticleLine, LineError

# A line holds one article: up to 20 translations of MAX_BODY_CHARS each would be far more,
# but a line this long is surely not one article, and reading on would use unbounded memory.
MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_ERRORS_PER_LINE = 10
# Bump when the import rules change, so that a re-import rewrites what older rules stored.
HASH_VERSION = b"dopys-import-1\n"

_MESSAGES = {
    "extra_forbidden": "Unknown field.",
    "missing": "Required.",
    "timezone_aware": "Needs a UTC offset (RFC 3339), e.g. 2024-07-01T10:00:00Z.",
}


@dataclass(frozen=True)
class RawLine:
    """A line that is a JSON object, with what the upsert needs before validation."""

    number: int
    data: dict[str, Any]
    digest: str
    external_id: str | None
    article_id: uuid.UUID | None
    # JSON can only write a control character as a \u escape (orjson refuses raw ones),
    # and lone surrogates are refused by orjson: a line without such an escape (or a raw
    # U+007F, U+FFFE, U+FFFF) holds none, and validation need not look field by field.
    control_free: bool


@dataclass(frozen=True)
class ExportMarker:
    """An export's header (`count` None) or trailer line: not an article."""

    number: int
    count: int | None


class ExportCheck:
    """Follows an export's header and trailer through the lines of an import, in order:
    an export whose header is not followed by a trailer counting its article lines was
    cut short."""

    def __init__(self) -> None:
        self.truncated = False
        self._open = False  # inside an export: header seen, no trailer yet
        self._lines = 0
        self.articles = 0  # article lines in all (every line but markers and blank ones)

    def marker(self, marker: ExportMarker) -> None:
        if marker.count is None:
            self.truncated |= self._open  # a second header before the first's trailer
            self._open, self._lines = True, 0
        else:
            self.truncated |= marker.count != self._lines
            self._open, self._lines = False, 0

    def article(self) -> None:
        self._lines += 1
        self.articles += 1

    def finish(self) -> bool:
        """Whether the stream, now ended, was a truncated export."""
        return self.truncated or self._open


class LineSplitter:
    """Cuts a byte stream into numbered lines; an over-long line is skipped, not buffered."""

    def __init__(self, max_line_bytes: int = MAX_LINE_BYTES) -> None:
        self._max = max_line_bytes
        self._partial = bytearray()
        self._skipping = False
        self._number = 0

    def feed(self, chunk: bytes) -> list[tuple[int, bytes | None]]:
        """Complete lines in `chunk` (None for one that was too long)."""
        pieces = chunk.split(b"\n")
        out: list[tuple[int, bytes | None]] = []
        for piece in pieces[:-1]:
            out.append(self._finish(piece))
        self._keep(pieces[-1])
        return out

    def close(self) -> list[tuple[int, bytes | None]]:
        """The last line, when the stream does not end with a newline."""
        if self._partial or self._skipping:
            return [self._finish(b"")]
        return []

    def _finish(self, piece: bytes) -> tuple[int, bytes | None]:
        self._number += 1
        too_long = self._skipping or len(self._partial) + len(piece) > self._max
        line = None if too_long else (bytes(self._partial + piece) if self._partial else piece)
        self._partial.clear()
        self._skipping = False
        return self._number, line

    def _keep(self, rest: bytes) -> None:
        if self._skipping:
            return
        if len(self._partial) + len(rest) > self._max:
            self._partial.clear()
            self._skipping = True
        else:
            self._partial += rest


def decode(number: int, raw: bytes | None) -> RawLine | LineError | ExportMarker | None:
    """The JSON object on a line; None for a blank line."""
    if raw is None:
        return LineError(line=number, field=None, message=f"Longer than {MAX_LINE_BYTES} bytes.")
    raw = raw.strip()
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark some editors write
    if not raw:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return LineError(line=number, field=None, message=_json_problem(raw, exc))
    if not isinstance(data, dict):
        return LineError(line=number, field=None, message="Must be a JSON object (one article).")
    marker = _export_marker(number, data)
    if marker is not None:
        return marker
    canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    external_id = data.get("external_id")
    return RawLine(
        number=number,
        data=data,
        digest=hashlib.sha256(HASH_VERSION + canonical).hexdigest(),
        external_id=_lookup_key(external_id),
        article_id=_uuid_or_none(data.get("id")),
        control_free=_FORBIDDEN_IN_JSON_RE.search(raw) is None,
    )


# A JSON escape or raw UTF-8 of a character app.core.html.FORBIDDEN_CHARS_RE names (an
# escaped backslash before "u00.." matches too: then the fields are checked one by one).
_FORBIDDEN_IN_JSON_RE = re.compile(
    rb"\\u(?:00[01][0-9a-fA-F]|007[fF]|[fF]{3}[eEfF])|\x7f|\xef\xbf[\xbe\xbf]"
)


def _export_marker(number: int, data: dict[str, Any]) -> ExportMarker | None:
    """The header or trailer GET /v1/exports writes (app.imports.schemas.export_header)."""
    if len(data) != 1 or not isinstance(marker := data.get("export"), dict):
        return None
    count = marker.get("count")
    if marker.get("complete") is True and isinstance(count, int) and not isinstance(count, bool):
        return ExportMarker(number, count)
    return ExportMarker(number, None) if "format" in marker else None


def _json_problem(raw: bytes, exc: orjson.JSONDecodeError) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"Not valid UTF-8 (byte {bad.start + 1} of the line)."
    return f"Malformed JSON: {exc.msg} (column {exc.colno})."


def _lookup_key(value: Any) -> str | None:
    """An external_id usable in a lookup before validation. One holding NUL is not (the
    database refuses such text); validation then reports the line's error."""
    return value if isinstance(value, str) and "\x00" not in value else None


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def validate(raw: RawLine) -> ArticleLine | list[LineError]:
    """The line as an article, or every problem with it (the schema's, then the rules')."""
    errors: list[LineError] = []
    if raw.data.get("external_id") is None and raw.data.get("id") is None:
        errors.append(LineError(line=raw.number, field="external_id", message="Required."))
    try:
        context = {CONTROL_FREE: True} if raw.control_free else None
        line = ArticleLine.model_validate(raw.data, context=context)
    except ValidationError as exc:
        return errors + validation_errors(raw.number, exc)
    problems = rules.translation_errors(line.lang, line.translations)
    problems += rules.via_errors([c.via for c in line.citations])
    duplicate = rules.duplicate_tags_error([t.slug for t in line.tags])
    if duplicate is not None:
        problems.append(duplicate)
    duplicate = rules.duplicate_tags_error([a.slug for a in line.authors], "authors", "author")
    if duplicate is not None:
        problems.append(duplicate)
    for i, author in enumerate(line.authors):
        problems += rules.bio_errors(author.bios, author.names, f"authors[{i}].bios")
    errors += [LineError(line=raw.number, field=p.field, message=p.message) for p in problems]
    return errors or line


def validation_errors(number: int, exc: ValidationError) -> list[LineError]:
    """A line's (or a converted item's) validation errors, field by field."""
    details = exc.errors(include_url=False, include_context=False)
    return [_error(number, d) for d in details[:MAX_ERRORS_PER_LINE]]


def _error(number: int, detail: ErrorDetails) -> LineError:
    message = _MESSAGES.get(detail["type"], detail["msg"])
    return LineError(line=number, field=field_name(detail["loc"]) or None, message=message)


class SeenKeys:
    """Upsert keys met so far in one import, with the line each was on: 16 bytes a key in
    flat arrays (an open-addressing table of 64-bit digests), so that a million-line file
    costs about 32 MB, not the ~150 MB a set of strings would."""

    def __init__(self, capacity: int = 1 << 12) -> None:
        self._keys = array("Q", bytes(8 * capacity))
        self._lines = array("Q", bytes(8 * capacity))
        self._count = 0

    def line_of(self, key: str) -> int | None:
        slot = self._slot(self._digest(key))
        return self._lines[slot] if self._keys[slot] else None

    def add(self, key: str, line: int) -> None:
        digest = self._digest(key)
        slot = self._slot(digest)
        if not self._keys[slot]:
            self._count += 1
        self._keys[slot] = digest
        self._lines[slot] = line
        if self._count * 2 > len(self._keys):
            self._grow()

    @staticmethod
    def _digest(key: str) -> int:
        digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
        return digest or 1  # 0 marks an empty slot

    def _slot(self, digest: int) -> int:
        mask = len(self._keys) - 1
        slot = digest & mask
        while self._keys[slot] and self._keys[slot] != digest:
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        keys, lines = self._keys, self._lines
        self._keys = array("Q", bytes(16 * len(keys)))
        self._lines = array("Q", bytes(16 * len(keys)))
        for digest, line in zip(keys, lines, strict=True):
            if digest:
                slot = self._slot(digest)
                self._keys[slot] = digest
                self._lines[slot] = line
