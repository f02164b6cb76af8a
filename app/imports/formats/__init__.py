"""Converters from other systems' exports to import lines (app.imports.schemas.ArticleLine),
which then take the same upsert path as NDJSON (app.imports.conversion)."""

import enum

from app.imports.formats import feeds, ghost, wxr
from app.imports.formats.common import Converter


class Format(enum.StrEnum):
    NDJSON = "ndjson"
    WXR = "wxr"
    RSS = "rss"
    ATOM = "atom"
    JSONFEED = "jsonfeed"
    GHOST = "ghost"


CONVERTERS: dict[Format, Converter] = {
    Format.WXR: wxr.convert,
    Format.RSS: feeds.convert,
    Format.ATOM: feeds.convert,
    Format.JSONFEED: feeds.convert,
    Format.GHOST: ghost.convert,
}
