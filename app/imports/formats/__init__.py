"""Converters from other systems' exports to import lines (app.imports.schemas.ArticleLine),
which then take the same upsert path as NDJSON.

Converted lines hold no control characters: where another system's export carries some
(a Ghost post's JSON may; XML cannot), they are dropped from every string, while an NDJSON
line holding one is that line's error."""

import enum
from collections.abc import Callable, Iterator
from typing import IO, Any

from app.core.html import drop_forbidden_chars
from app.imports.formats import feeds, ghost, wxr

Converter = Callable[[IO[bytes], str], Iterator[dict[str, Any]]]


class Format(enum.StrEnum):
    NDJSON = "ndjson"
    WXR = "wxr"
    RSS = "rss"
    ATOM = "atom"
    GHOST = "ghost"


def _without_controls(value: Any) -> Any:
    if isinstance(value, str):
        return drop_forbidden_chars(value)
    if isinstance(value, dict):
        return {_without_controls(k): _without_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_controls(v) for v in value]
    return value


def _stripping(convert: Converter) -> Converter:
    def converted(stream: IO[bytes], default_lang: str) -> Iterator[dict[str, Any]]:
        for line in convert(stream, default_lang):
            yield _without_controls(line)

    return converted


CONVERTERS: dict[Format, Converter] = {
    Format.WXR: _stripping(wxr.convert),
    Format.RSS: _stripping(feeds.convert),
    Format.ATOM: _stripping(feeds.convert),
    Format.GHOST: _stripping(ghost.convert),
}
