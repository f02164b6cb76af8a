"""RSS 2.0 and Atom (a wire service, an old site's feed), parsed with feedparser.

`guid` / `id` is the external_id (the link when a feed has neither); content:encoded or
Atom content is the body, the description / summary the excerpt; categories are tags.
"""

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from time import struct_time
from typing import IO, Any

import feedparser

from app.core.html import to_plain_text
from app.imports.formats.common import (
    ConversionFailed,
    excerpt,
    paragraphs,
    primary_lang,
    slug_from_link,
    tag,
    unique_tags,
    utc,
)

_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def convert(stream: IO[bytes], default_lang: str) -> Iterator[dict[str, Any]]:
    parsed = feedparser.parse(stream.read())
    if parsed.bozo and not parsed.entries:
        raise ConversionFailed(f"Not a readable RSS or Atom feed: {parsed.get('bozo_exception')}")
    feed_lang = primary_lang(parsed.feed.get("language"), default_lang)
    for entry in parsed.entries:
        yield _line(entry, feed_lang)


def _line(entry: Any, feed_lang: str) -> dict[str, Any]:
    title_detail = entry.get("title_detail") or {}
    lang = primary_lang(entry.get("language") or title_detail.get("language"), feed_lang)
    content = entry.get("content") or []
    summary = entry.get("summary", "")
    body = paragraphs(content[0].get("value", "") if content else summary)
    # Plain dict lookups: feedparser's own get() maps one date onto the other, with a warning.
    published = _moment(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))
    line: dict[str, Any] = {
        "external_id": entry.get("id") or entry.get("link"),
        "original_lang": lang,
        "status": "published",
        "published_at": published,
        "tags": unique_tags(
            [
                tag(t.get("label") or t.get("term") or "", t.get("term"), lang)
                for t in entry.get("tags", [])
            ]
        ),
        "translations": [
            {
                "lang": lang,
                "title": _title(entry.get("title", ""), title_detail.get("type")),
                "slug": slug_from_link(entry.get("link")),
                "excerpt": excerpt(summary) if content else "",
                "body": body,
            }
        ],
    }
    cover = _cover(entry)
    if cover:
        line["cover_image_url"] = cover
    return line


def _title(value: str, media_type: str | None) -> str:
    return to_plain_text(value) if media_type in _HTML_TYPES else " ".join(value.split())


def _moment(parsed: struct_time | None) -> str | None:
    """feedparser's UTC struct_time; None when the feed's date was unreadable."""
    if parsed is None:
        return None
    return utc(datetime.fromtimestamp(calendar.timegm(parsed), UTC))


def _cover(entry: Any) -> str | None:
    candidates = [
        m.get("url") for m in entry.get("media_content", []) if m.get("medium", "image") == "image"
    ]
    candidates += [
        e.get("href")
        for e in entry.get("enclosures", [])
        if str(e.get("type", "")).startswith("image/")
    ]
    return next(
        (url for url in candidates if url and url.startswith(("http://", "https://"))), None
    )
