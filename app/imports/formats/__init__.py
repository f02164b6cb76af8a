"""Converters from other systems' exports to import lines (app.imports.schemas.ArticleLine),
which then take the same upsert path as NDJSON."""

import enum
from collections.abc import Callable, Iterator
from typing import IO, Any

from app.imports.formats import feeds, ghost, wxr

Converter = Callable[[IO[bytes], str], Iterator[dict[str, Any]]]


class Format(enum.StrEnum):
    NDJSON = "ndjson"
    WXR = "wxr"
    RSS = "rss"
    ATOM = "atom"
    GHOST = "ghost"


CONVERTERS: dict[Format, Converter] = {
    Format.WXR: wxr.convert,
    Format.RSS: feeds.convert,
    Format.ATOM: feeds.convert,
    Format.GHOST: ghost.convert,
}
