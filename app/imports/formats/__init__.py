"""Converters from other systems' exports to import lines (app.imports.schemas.ArticleLine),
which then take the same upsert path as NDJSON (app.imports.conversion).

Converted lines hold no control characters: where another system's export carries some
(a Ghost post's JSON may; XML cannot), they are dropped from every string, while an NDJSON
line holding one is that line's error. Converters give plain text (titles, excerpts, names,
alt text...); the line writes it as HTML text, as an export does, since an import decodes
entities in those fields once: "AT&T" and a title that reads "&lt;" stay what they were."""

import enum
import html
from collections.abc import Iterator
from typing import IO, Any

from app.core.html import drop_forbidden_chars
from app.imports.formats import feeds, ghost, wxr
from app.imports.formats.common import Converted, Converter, Item, Options


class Format(enum.StrEnum):
    NDJSON = "ndjson"
    WXR = "wxr"
    RSS = "rss"
    ATOM = "atom"
    JSONFEED = "jsonfeed"
    GHOST = "ghost"


def _without_controls(value: Any) -> Any:
    if isinstance(value, str):
        return drop_forbidden_chars(value)
    if isinstance(value, dict):
        return {_without_controls(k): _without_controls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_controls(v) for v in value]
    return value


_TRANSLATION_TEXT = ("title", "excerpt", "cover_alt", "cover_caption", "cover_credit")


def _html_text(text: Any) -> Any:
    return html.escape(text, quote=False) if isinstance(text, str) else text


def _as_line_text(line: dict[str, Any]) -> dict[str, Any]:
    """Plain-text fields written as HTML text (the line format's; see the module doc)."""
    for translation in line.get("translations", []):
        for name in _TRANSLATION_TEXT:
            if name in translation:
                translation[name] = _html_text(translation[name])
    for item in [*_with_parents(line.get("tags", [])), *line.get("authors", [])]:
        if isinstance(item, dict):
            for name in ("names", "bios"):
                if name in item:
                    item[name] = {lang: _html_text(v) for lang, v in item[name].items()}
    return line


def _with_parents(tags: list[Any]) -> Iterator[Any]:
    """Each tag, then its parents (a tag line nests them)."""
    for item in tags:
        while isinstance(item, dict):
            yield item
            item = item.get("parent")


def _stripping(convert: Converter) -> Converter:
    def converted(stream: IO[bytes], options: Options) -> Iterator[Item]:
        for item in convert(stream, options):
            if isinstance(item, Converted):
                item.line = _as_line_text(_without_controls(item.line))
            yield item

    return converted


CONVERTERS: dict[Format, Converter] = {
    Format.WXR: _stripping(wxr.convert),
    Format.RSS: _stripping(feeds.convert),
    Format.ATOM: _stripping(feeds.convert),
    Format.JSONFEED: _stripping(feeds.convert),
    Format.GHOST: _stripping(ghost.convert),
}
