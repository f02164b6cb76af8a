"""RSS 2.0 and Atom (parsed with feedparser) and JSON Feed 1.0/1.1: a wire service, an old
site's feed, a podcast or a YouTube channel.

- identity: the guid / Atom id / JSON Feed id, else the link, else a hash of title and date;
- slug: the link's last path segment when it is one (not `watch?v=...`), else the title's;
  a slug another article holds gets `-2`, `-3`... (the import is lenient about slugs);
- title: an item without one is titled from its text;
- language: the item's `xml:lang`, else the feed's `<language>` / `xml:lang`, else `--lang`;
- encoding: as declared; an XML feed that declares none and is not UTF-8 (KOI8-R,
  windows-1251...) is decoded as charset-normalizer detects it, not as mojibake.
"""

import calendar
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from time import struct_time
from typing import IO, Annotated, Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError, TreeBuilder, XMLPullParser

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from app.core.html import to_plain_text
from app.imports.formats.common import (
    ConversionFailed,
    Converted,
    Failed,
    Item,
    ItemFailed,
    Options,
    Row,
    author,
    check_row,
    excerpt,
    http_url,
    one_of,
    paragraphs,
    primary_lang,
    refused_xml,
    set_authors,
    set_canonical_url,
    set_cover,
    slug_from_link,
    tag,
    title_or_text,
    unique_tags,
    utc,
)
from app.imports.formats.wp_content import embeds_to_links

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_DECLARED_RE = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def convert(stream: IO[bytes], options: Options) -> Iterator[Item]:
    raw = stream.read()
    if raw.lstrip()[:1] == b"{":
        yield from _json_feed(raw, options)
        return
    _refuse_entities(raw)
    import feedparser  # here: a server that never imports a feed never loads it

    parsed = feedparser.parse(_utf8_unless_declared(raw))
    if parsed.bozo and not parsed.entries:
        raise ConversionFailed(f"Not a readable RSS or Atom feed: {parsed.get('bozo_exception')}")
    feed_lang = primary_lang(parsed.feed.get("language"), options.default_lang)
    kind = "entry" if str(parsed.get("version", "")).startswith("atom") else "item"
    for number, entry in enumerate(parsed.entries, 1):
        try:
            yield _converted(kind, number, _entry_line(entry, feed_lang))
        except ItemFailed as exc:
            yield Failed(kind, number, exc.errors, source_id=entry.get("id"))


def _refuse_entities(raw: bytes) -> None:
    """feedparser expands the entities a feed declares, nested ones too: a feed that
    declares one is refused (read with defusedxml up to its root element; a DTD without
    entities, as RSS 0.91 feeds have, is fine)."""
    parser = XMLPullParser(events=("start",), _parser=DefusedXMLParser(target=TreeBuilder()))
    try:
        for start in range(0, len(raw), _PROLOG_CHUNK):
            parser.feed(raw[start : start + _PROLOG_CHUNK])
            if next(parser.read_events(), None) is not None:
                return  # the root element: no declaration comes after it
    except DefusedXmlException as exc:
        raise refused_xml(exc) from exc
    except (ParseError, ValueError):
        # Not XML expat reads (a multi-byte encoding it lacks...): feedparser reads it
        # loosely, and would expand what it declares.
        if b"<!ENTITY" in raw:
            raise ConversionFailed("Refused: it declares XML entities (never expanded).") from None


_PROLOG_CHUNK = 1 << 16


def _utf8_unless_declared(raw: bytes) -> bytes:
    """Bytes feedparser reads right: an XML file without an encoding declaration is UTF-8
    by definition, but old feeds in KOI8-R or windows-1251 often declare nothing."""
    if raw.startswith(_BOMS) or _DECLARED_RE.match(raw):
        return raw
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        import charset_normalizer

        best = charset_normalizer.from_bytes(raw).best()
        if best is not None:
            return str(best).encode("utf-8")
    return raw


def _converted(kind: str, number: int, line: dict[str, Any]) -> Converted:
    notes = line.pop("_notes")
    return Converted(kind, number, line, source_id=line["external_id"], notes=notes)


def _identity(guid: str | None, link: str | None, title: str, date: str | None) -> str:
    if guid and guid.strip():
        return guid.strip()
    if link and link.strip():
        return link.strip()
    digest = hashlib.sha256(f"{title}\n{date or ''}".encode()).hexdigest()[:32]
    return f"feed-item:{digest}"


def _slug(link: str | None) -> str | None:
    """A link's last path segment, unless the item is named by its query (`watch?v=`)."""
    if not link or urlsplit(link).query:
        return None
    return slug_from_link(link)


def _line(
    *,
    guid: str | None,
    link: str | None,
    lang: str,
    title: str,
    body: str,
    summary: str,
    published: str | None,
    tags: list[dict[str, Any] | None],
    cover: str | None,
    authors: list[dict[str, Any] | None],
) -> dict[str, Any]:
    notes: list[str] = []
    body = embeds_to_links(body)
    full_title, note = title_or_text(title, body or summary)
    if note:
        notes.append(note)
    line: dict[str, Any] = {
        "external_id": _identity(guid, link, title, published),
        "original_lang": lang,
        "status": "published",
        "published_at": published,
        "tags": unique_tags(tags),
        "translations": [
            {
                "lang": lang,
                "title": full_title,
                "slug": _slug(link),
                "excerpt": summary,
                "body": body,
            }
        ],
        "_notes": notes,
    }
    set_cover(line, cover)
    set_authors(line, authors)
    set_canonical_url(line, link)  # where the item was first published
    return line


def _entry_line(entry: Any, feed_lang: str) -> dict[str, Any]:
    title_detail = entry.get("title_detail") or {}
    content = entry.get("content") or []
    lang = primary_lang(
        entry.get("language")
        or title_detail.get("language")
        or (content[0].get("language") if content else None),
        feed_lang,
    )
    summary = entry.get("summary", "")
    body = paragraphs(content[0].get("value", "") if content else summary)
    # Plain dict lookups: feedparser's own get() maps one date onto the other, with a warning.
    published = _moment(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))
    _check_year(dict.get(entry, "published" if dict.get(entry, "published_parsed") else "updated"))
    return _line(
        guid=entry.get("id"),
        link=entry.get("link"),
        lang=lang,
        title=_title(entry.get("title", ""), title_detail.get("type")),
        body=body,
        summary=excerpt(summary) if content else "",
        published=published,
        tags=[
            tag(t.get("label") or t.get("term") or "", t.get("term"), lang)
            for t in entry.get("tags", [])
        ],
        cover=_cover(entry),
        authors=[
            author(a.get("name") or "", None, lang, links=[a.get("href")])
            for a in entry.get("authors") or []
            if isinstance(a, dict)
        ],
    )


def _title(value: str, media_type: str | None) -> str:
    return to_plain_text(value) if media_type in _HTML_TYPES else " ".join(value.split())


def _moment(parsed: struct_time | None) -> str | None:
    """feedparser's UTC struct_time; None when the feed's date was unreadable."""
    if parsed is None:
        return None
    try:
        return utc(datetime.fromtimestamp(calendar.timegm(parsed), UTC))
    except (OverflowError, OSError, ValueError) as exc:
        # 9999-12-31T23:59:59-14:00 is in the year 10000 in UTC.
        moment = f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
        raise ItemFailed.of("published_at", f"Date out of range: {moment} (UTC).") from exc


_YEAR_PAST_9999_RE = re.compile(r"\s*[0-9]{5,}-")


def _check_year(text: Any) -> None:
    """feedparser reads `10000-01-01T00:00:00Z` as a date in 2010: a year past 9999 is
    out of range, not another date."""
    if isinstance(text, str) and _YEAR_PAST_9999_RE.match(text):
        raise ItemFailed.of("published_at", f"Date out of range: {text.strip()[:40]}.")


def _cover(entry: Any) -> str | None:
    """An image the item names: media:content of an image (not a video player's URL), a
    media:thumbnail (YouTube, podcasts), an image enclosure."""
    candidates = [
        m.get("url")
        for m in entry.get("media_content", [])
        if m.get("medium") == "image"
        or str(m.get("type", "")).startswith("image/")
        or (not m.get("medium") and not m.get("type"))
    ]
    candidates += [t.get("url") for t in entry.get("media_thumbnail", [])]
    candidates += [
        e.get("href")
        for e in entry.get("enclosures", [])
        if str(e.get("type", "")).startswith("image/")
    ]
    return _http_url(*candidates)


def _http_url(*candidates: Any) -> str | None:
    return next((url for url in map(http_url, candidates) if url), None)


# ---- JSON Feed ---------------------------------------------------------------------------

Text = str | None


class _Feed(Row):
    language: Text = None
    items: list[Any] | None = None


class _Author(Row):
    name: Text = None
    url: Text = None
    avatar: Text = None


class _Item(Row):
    """The fields of an item read (the spec lets an id be a number, read as text)."""

    id: Annotated[Any, one_of("text or a number", str, int, float)] = None
    url: Text = None
    title: Text = None
    content_html: Text = None
    content_text: Text = None
    summary: Text = None
    image: Text = None
    banner_image: Text = None
    date_published: Text = None
    date_modified: Text = None
    tags: list[str] | None = None
    language: Text = None
    authors: list[_Author] | None = None
    author: _Author | None = None


def _json_feed(raw: bytes, options: Options) -> Iterator[Item]:
    try:
        feed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConversionFailed(f"Not a readable JSON Feed: {exc}") from exc
    if not isinstance(feed, dict) or "jsonfeed.org" not in str(feed.get("version", "")):
        raise ConversionFailed('Not a JSON Feed: no "version": "https://jsonfeed.org/...".')
    try:
        check_row(_Feed, feed)
    except ItemFailed as exc:
        problems = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
        raise ConversionFailed(f"Not a readable JSON Feed: {problems}") from exc
    feed_lang = primary_lang(feed.get("language"), options.default_lang)
    for number, item in enumerate(feed.get("items") or [], 1):
        try:
            check_row(_Item, item)
            yield _converted("item", number, _json_item_line(item, feed_lang))
        except ItemFailed as exc:
            source_id = item.get("id") if isinstance(item, dict) else None
            yield Failed("item", number, exc.errors, source_id=_text_or_none(source_id))


def _json_item_line(item: dict[str, Any], feed_lang: str) -> dict[str, Any]:
    lang = primary_lang(item.get("language"), feed_lang)
    html = item.get("content_html")
    body = html if isinstance(html, str) else paragraphs(str(item.get("content_text") or ""))
    summary = item.get("summary")
    return _line(
        guid=str(item["id"]) if item.get("id") is not None else None,
        link=item.get("url") if isinstance(item.get("url"), str) else None,
        lang=lang,
        title=" ".join(str(item.get("title") or "").split()),
        body=body,
        summary=excerpt(summary) if isinstance(summary, str) else "",
        published=_iso(item.get("date_published") or item.get("date_modified")),
        tags=[tag(t, None, lang) for t in item.get("tags") or [] if isinstance(t, str)],
        cover=_http_url(item.get("image"), item.get("banner_image")),
        authors=[
            author(
                str(a.get("name") or ""),
                None,
                lang,
                photo_url=a.get("avatar"),
                links=[a.get("url")],
            )
            for a in item.get("authors") or ([item["author"]] if item.get("author") else [])
            if isinstance(a, dict)
        ],
    )


def _text_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) else None


def _iso(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
