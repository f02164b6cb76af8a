"""RSS 2.0 and Atom (parsed with feedparser) and JSON Feed 1.0/1.1: a wire service, an old
site's feed, a podcast or a YouTube channel.

- identity: the guid / Atom id / JSON Feed id, else the link, else a hash of the title,
  date and body; a second item with a guid already seen is a repeat (skipped) or, with
  other content, an article of its own;
- slug: the link's last path segment when it is one (not `watch?v=...`), else the title's;
  a slug another article holds gets `-2`, `-3`... (the import is lenient about slugs);
- title: an item without one is titled from its text;
- language: the item's `xml:lang`, else the feed's `<language>` / `xml:lang`, else `--lang`;
- encoding: as declared (BOM, XML declaration, the upload's charset); a feed that declares
  none and is not UTF-8 (Latin-1, KOI8-R, windows-1251...) is read in the likeliest
  Western or Cyrillic code page (charset-normalizer), and the report says which.
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

from app.core.html import markup_text_dropped, to_plain_text
from app.imports.formats.common import (
    ConversionFailed,
    Converted,
    Failed,
    Item,
    ItemFailed,
    Options,
    Remark,
    Row,
    Skipped,
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
    undeclared_lang,
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

    data, guessed = _decoded(raw, options.charset)
    if guessed is not None:
        yield Remark(
            f"The file declares no encoding and is not UTF-8: read as {guessed}, the likeliest "
            "(declare it in the XML declaration, or send charset= with the upload, to be sure)."
        )
    headers = (
        {"content-type": f"application/xml; charset={options.charset}"} if options.charset else {}
    )
    parsed = feedparser.parse(data, response_headers=headers)
    base = _base_for_relative_links(parsed)
    if base is not None:  # read again, relative links resolved where the feed lives
        first = parsed.entries
        parsed = feedparser.parse(data, response_headers={**headers, "content-location": base})
        _keep_identities(first, parsed.entries)
    if parsed.bozo and not parsed.entries:
        # No items at all: the import says so (app.imports.conversion.NoItems), and why.
        yield Remark(f"Not a readable RSS or Atom feed: {parsed.get('bozo_exception')}.")
        return
    declared = parsed.feed.get("language")
    remark = undeclared_lang(options, declared)
    if remark is not None:
        yield remark
    feed_lang = options.file_lang(declared)
    kind = "entry" if str(parsed.get("version", "")).startswith("atom") else "item"
    inherited = primary_lang(declared, "") if options.lang else None
    yield from _distinct(_entries(kind, parsed.entries, feed_lang, inherited))


def _entries(
    kind: str, entries: list[Any], feed_lang: str, inherited: str | None
) -> Iterator[Item]:
    for number, entry in enumerate(entries, 1):
        try:
            yield _converted(kind, number, _entry_line(entry, feed_lang, inherited))
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


def _base_for_relative_links(parsed: Any) -> str | None:
    """Where a feed with relative item links and no xml:base lives: its `self` link, else
    its site's; None when every link is absolute already (or there is nothing to go on)."""
    if all(http_url(e.get("link")) or not _own_link(e) for e in parsed.entries):
        return None
    links = parsed.feed.get("links") or []
    candidates = [x.get("href") for x in links if x.get("rel") == "self"]
    return _http_url(*candidates, parsed.feed.get("link"))


def _own_link(entry: Any) -> bool:
    """The item gives a link of its own (not only a permalink guid, feedparser's `link`
    then)."""
    return bool(entry.get("link")) and not entry.get("guidislink")


def _keep_identities(first: list[Any], resolved: list[Any]) -> None:
    """Guids as the feed writes them (feedparser resolves them against the base too: a
    guid is an identity, never rewritten), and a link that was only the guid kept so."""
    for before, after in zip(first, resolved, strict=False):
        if before.get("id") is not None:
            after["id"] = before["id"]
        if before.get("guidislink"):
            after["link"] = before.get("link")


def _distinct(items: Iterator[Item]) -> Iterator[Item]:
    """Items that share one guid (a podcast's re-posted episode): a true repeat (the same
    content) is skipped; another item gets an identity of its own. Either is reported."""
    first: dict[str, tuple[int, str]] = {}  # identity -> (item, content digest)
    for item in items:
        if not isinstance(item, Converted):
            yield item  # a failed item has no identity to share
            continue
        key, digest = item.line["external_id"], _content_digest(item.line)
        if key not in first:
            first[key] = (item.item, digest)
            yield item
            continue
        number, seen = first[key]
        if digest == seen:
            why = f"A repeat of item {number}: the same guid '{key}' and the same content."
            yield Skipped(item.kind, item.item, why, source_id=key)
            continue
        item.line["external_id"] = item.source_id = f"{key}#{digest[:12]}"
        item.notes.append(
            f"Shares its guid '{key}' with item {number}, with other content: imported as an "
            f"article of its own (external_id '{item.source_id}')."
        )
        yield item


def _content_digest(line: dict[str, Any]) -> str:
    text = line["translations"][0]
    content = f"{text['title']}\n{line.get('published_at') or ''}\n{text['body']}"
    return hashlib.sha256(content.encode()).hexdigest()


# Code pages an undeclared feed may be in, the likelier first where two read equally well
# (Portuguese reads as well in cp1250 as in cp1252, but is Western): Western, Cyrillic,
# Central European. charset-normalizer's full list holds Baltic and other pages that
# read Latin-1 text "without chaos" and garble it.
_LIKELY_CODE_PAGES = ("cp1252", "cp1251", "koi8_u", "koi8_r", "iso8859_15", "cp1250", "iso8859_2")


def _decoded(raw: bytes, charset: str | None) -> tuple[bytes, str | None]:
    """Bytes feedparser reads right, and the code page guessed if one was: as declared
    (a BOM, the XML declaration, the upload's charset), else UTF-8 when it is, else the
    likeliest of the Western and Cyrillic code pages."""
    if charset or raw.startswith(_BOMS) or _DECLARED_RE.match(raw):
        return raw, None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        import charset_normalizer

        matches = list(charset_normalizer.from_bytes(raw, cp_isolation=list(_LIKELY_CODE_PAGES)))
        if matches:
            best = min(matches, key=_likelihood)
            return str(best).encode("utf-8"), best.encoding
    return raw, None


def _likelihood(match: Any) -> tuple[float, float, int]:
    rank = min(
        (
            _LIKELY_CODE_PAGES.index(c)
            for c in match.could_be_from_charset
            if c in _LIKELY_CODE_PAGES
        ),
        default=len(_LIKELY_CODE_PAGES),
    )
    return round(match.chaos, 2), -round(match.coherence, 2), rank


def _converted(kind: str, number: int, line: dict[str, Any]) -> Converted:
    notes = line.pop("_notes")
    return Converted(kind, number, line, source_id=line["external_id"], notes=notes)


def _identity(guid: str | None, link: str | None, title: str, date: str | None, body: str) -> str:
    """The guid, else the link, else the item's content: two undated "Daily briefing"
    items with different text are two articles, never one overwriting the other."""
    if guid and guid.strip():
        return guid.strip()
    if link and link.strip():
        return link.strip()
    digest = hashlib.sha256(f"{title}\n{date or ''}\n{body}".encode()).hexdigest()[:32]
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
        "external_id": _identity(guid, link, title, published, body),
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


def _entry_line(entry: Any, feed_lang: str, inherited: str | None = None) -> dict[str, Any]:
    """`inherited`: the language the feed declares, when the operator's overrides it (an
    item's xml:lang inherited from the feed's is then the feed's, not the item's own)."""
    title_detail = entry.get("title_detail") or {}
    content = entry.get("content") or []
    own = primary_lang(
        entry.get("language")
        or title_detail.get("language")
        or (content[0].get("language") if content else None),
        "",
    )
    lang = own if own and own != inherited else feed_lang
    summary = entry.get("summary", "")
    body = paragraphs(content[0].get("value", "") if content else summary)
    # Plain dict lookups: feedparser's own get() maps one date onto the other, with a warning.
    published = _moment(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed"))
    _check_year(dict.get(entry, "published" if dict.get(entry, "published_parsed") else "updated"))
    line = _line(
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
    if published is None:
        _note_unread_date(line, dict.get(entry, "published") or dict.get(entry, "updated"))
    if title_detail.get("type") in _HTML_TYPES:
        _note_markup_in_title(line, entry.get("title", ""))
    link = entry.get("link")
    if _own_link(entry) and not http_url(link):
        line["_notes"].append(
            f"Link '{link}' is relative and the feed names no address to resolve it against: "
            "not kept as the article's canonical URL."
        )
    return line


def _note_unread_date(line: dict[str, Any], raw: Any) -> None:
    """A date given but not readable (`Seg, 24 Set 2018`: Portuguese names) is said, with
    what became of the item's date, never silently replaced."""
    if isinstance(raw, str) and raw.strip():
        line["_notes"].append(
            f"Date '{raw.strip()}' could not be read: published with the import time as its "
            "date (set the date in the editor)."
        )


def _note_markup_in_title(line: dict[str, Any], html: str) -> None:
    """A title that shows markup as text (`History of the &lt;blink&gt; tag`) loses those
    words: plain-text fields never hold what reads as markup (app.core.html.inert_text,
    since front ends may render them as HTML). Never in silence."""
    shown = markup_text_dropped(html)
    if shown is not None:
        line["_notes"].append(
            f"Title '{shown}' shows markup as text, which plain-text fields never keep: "
            f"stored as '{line['translations'][0]['title']}' (correct it in the editor)."
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
    remark = undeclared_lang(options, feed.get("language"))
    if remark is not None:
        yield remark
    feed_lang = options.file_lang(feed.get("language"))
    yield from _distinct(_json_items(feed.get("items") or [], feed_lang))


def _json_items(items: list[Any], feed_lang: str) -> Iterator[Item]:
    for number, item in enumerate(items, 1):
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
    line = _line(
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
    if line["published_at"] is None:
        _note_unread_date(line, item.get("date_published") or item.get("date_modified"))
    return line


def _text_or_none(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) else None


def _iso(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
