"""WordPress eXtended RSS (WXR 1.0–1.2), the file Tools → Export writes.

Read in two passes over the file (spooled to disk when it comes from a pipe), each a
stream (defusedxml, fed line by line so every item knows the line it starts on):

1. what items need from each other: the channel's language and site URL, category slugs,
   attachments (URL, alt text, caption, parent), and which posts are translations of
   one another (Polylang's `post_translations` term, WPML's export-plugin meta);
2. the items: each post and page becomes an import line (translations linked by Polylang
   or WPML become one article with one translation per language) with its byline
   (`dc:creator`), cover image (`_thumbnail_id`: the attachment's URL, size, alt text and
   caption), sections (categories) and topics (tags); private and password-protected
   posts are restricted, never public; everything else (attachments, menu items,
   revisions, trashed posts...) is reported as skipped with the reason.

A post is identified by its site and `wp:post_id` (`<base_site_url>/?p=<id>`, the URL
WordPress answers for it), not by its guid: real exports hold posts that share one.
"""

import contextlib
import html
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any, cast
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLPullParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from app.imports.formats.common import (
    ConversionFailed,
    Converted,
    Item,
    Options,
    Skipped,
    ascii_int,
    author,
    excerpt,
    primary_lang,
    refused_xml,
    restrict,
    set_authors,
    set_cover,
    set_featured,
    set_page,
    slug_from,
    tag,
    title_or_text,
    undeclared_lang,
    unique_tags,
    utc,
)
from app.imports.formats.wp_content import Image, render

_STATUS = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft"}
# A private post is published for the site's editors only: restricted.
_STATUS |= {"private": "published"}
_IMPORTED_TYPES = {"post", "page"}
_SIZE_RE = re.compile(r's:5:"width";i:([0-9]{1,9});s:6:"height";i:([0-9]{1,9});')
_SKIPPED_STATUS = {
    "trash": "In the trash.",
    "auto-draft": "An auto-draft (WordPress never saved it).",
    "inherit": "A revision of another item.",
}
_SKIPPED_TYPE = {
    "attachment": "A media file, not an article (used as the image of the posts that show it).",
    "nav_menu_item": "A menu item: menus belong to the front end.",
    "revision": "A revision of another item.",
    "wp_block": "A reusable block (its content is in the posts that use it).",
    "wp_navigation": "A navigation menu: menus belong to the front end.",
    "wp_template": "A theme template.",
    "wp_template_part": "A theme template part.",
    "wp_global_styles": "Theme styles.",
    "custom_css": "Theme CSS.",
    "oembed_cache": "WordPress's cache of embeds.",
}
_WP_URI_RE = re.compile(r"^https?://wordpress\.org/export/\d+\.\d+/(excerpt/)?$")
_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "https://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "https://purl.org/dc/elements/1.1/": "dc",
}


def _key(tag_name: str) -> str:
    """`{http(s)://wordpress.org/export/1.x/}post_name` -> `wp:post_name`."""
    if not tag_name.startswith("{"):
        return tag_name
    uri, local = tag_name[1:].split("}", 1)
    wp = _WP_URI_RE.match(uri)
    if wp:
        return f"excerpt:{local}" if wp.group(1) else f"wp:{local}"
    prefix = _NAMESPACES.get(uri)
    return f"{prefix}:{local}" if prefix else local


# ---- reading ----------------------------------------------------------------------------


@dataclass
class _Raw:
    """One `<item>` as read: its fields, meta and terms."""

    number: int
    source_line: int
    fields: dict[str, str]
    meta: dict[str, str]
    terms: list[tuple[str, str, str]]  # (domain, nicename, name)

    @property
    def post_id(self) -> int:
        return ascii_int(self.fields.get("wp:post_id")) or 0

    @property
    def post_type(self) -> str:
        return self.fields.get("wp:post_type", "post").strip() or "post"

    @property
    def status(self) -> str:
        return self.fields.get("wp:status", "").strip()

    @property
    def group(self) -> str | None:
        if self.meta.get("_wpml_import_translation_group"):
            return f"wpml:{self.meta['_wpml_import_translation_group']}"
        return next((f"pll:{n}" for d, n, _ in self.terms if d == "post_translations"), None)


def _events(stream: IO[bytes]) -> Iterator[tuple[str, Element, int]]:
    """(event, element, line) for the file, fed a line at a time so that an element's
    start knows its line; a file that stops being XML part-way says where."""
    # WordPress never writes a DTD: one is refused, like any entity declaration.
    defused = DefusedXMLParser(target=TreeBuilder(), forbid_dtd=True)
    parser = XMLPullParser(events=("start", "end"), _parser=defused)
    number = 0
    try:
        for raw in stream:
            number += 1
            parser.feed(raw)
            for pair in parser.read_events():
                yield _event(pair, number)
        parser.close()
        for pair in parser.read_events():
            yield _event(pair, number)
    except ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else number
        raise ConversionFailed(f"Not a well-formed WXR file: {exc}", source_line=line) from exc
    except DefusedXmlException as exc:
        raise refused_xml(exc) from exc
    except ValueError as exc:  # an encoding expat cannot read (Shift_JIS, Big5...)
        raise ConversionFailed(f"Not a readable WXR file: {exc}.", source_line=number) from exc


def _event(pair: Any, number: int) -> tuple[str, Element, int]:
    event, element = pair  # ("start" | "end", Element) for the events asked for
    return str(event), cast(Element, element), number


def _items(stream: IO[bytes], channel: dict[str, Any]) -> Iterator[_Raw]:
    """Every `<item>` of the file in order; `channel` collects the channel's own elements
    (language, site URL, categories, terms) as they go by."""
    parents: list[Element] = []
    started: dict[int, int] = {}
    count = 0
    for event, element, line in _events(stream):
        name = _key(element.tag)
        if event == "start":
            if name == "item":
                started[id(element)] = line
            elif name == "channel":
                channel["channel"] = True
            parents.append(element)
            continue
        parents.pop()
        parent = _key(parents[-1].tag) if parents else ""
        if name == "item":
            count += 1
            item = _read_item(element, count, started.pop(id(element), line))
            channel["wp"] = channel.get("wp") or any(k.startswith("wp:") for k in item.fields)
            yield item
            if parents:
                parents[-1].remove(element)  # keep memory flat on large exports
        elif parent == "channel":
            _read_channel_element(name, element, channel)
            parents[-1].remove(element)
        elif name == "channel" and not channel.get("wp"):
            raise ConversionFailed(
                "Not a WordPress export (WXR): the channel has no wp: elements "
                "(namespace http(s)://wordpress.org/export/1.x/)."
            )
    if "channel" not in channel:
        raise ConversionFailed("Not a WordPress export (WXR): no <rss><channel>.")


def _read_channel_element(name: str, element: Element, channel: dict[str, Any]) -> None:
    channel["channel"] = True
    if name.startswith("wp:"):
        channel["wp"] = True
    text = (element.text or "").strip()
    if name == "language":
        channel["language"] = text
    elif name == "wp:base_site_url":
        channel["site"] = text.rstrip("/")
    elif name == "wp:author":
        fields = {_key(c.tag): (c.text or "").strip() for c in element}
        login = fields.get("wp:author_login", "")
        full = " ".join(
            x for x in (fields.get("wp:author_first_name"), fields.get("wp:author_last_name")) if x
        )
        channel.setdefault("authors", {})[login] = fields.get("wp:author_display_name") or full
    elif name == "wp:category":
        fields = {_key(c.tag): (c.text or "").strip() for c in element}
        slug = slug_from(fields.get("wp:category_nicename")) or slug_from(fields.get("wp:cat_name"))
        channel.setdefault("categories", set()).add(slug)
        _read_category_tree(fields, slug, channel)


def _read_category_tree(fields: dict[str, str], slug: str | None, channel: dict[str, Any]) -> None:
    """A category's name and parent (`wp:category_parent` holds the parent's nicename)."""
    if slug is None:
        return
    channel.setdefault("category_names", {})[slug] = fields.get("wp:cat_name", "")
    parent = slug_from(fields.get("wp:category_parent"))
    if parent and parent != slug:
        channel.setdefault("category_parents", {})[slug] = parent


def _read_item(element: Element, number: int, source_line: int) -> _Raw:
    fields: dict[str, str] = {}
    meta: dict[str, str] = {}
    terms: list[tuple[str, str, str]] = []
    for child in element:
        key = _key(child.tag)
        if key == "category":
            terms.append((child.get("domain", ""), child.get("nicename", ""), child.text or ""))
        elif key == "wp:postmeta":
            pair = {_key(c.tag): (c.text or "") for c in child}
            meta[pair.get("wp:meta_key", "")] = pair.get("wp:meta_value", "")
        elif key != "wp:comment":
            fields[key] = child.text or ""
    return _Raw(number, source_line, fields, meta, terms)


def _seekable(stream: IO[bytes]) -> IO[bytes]:
    if stream.seekable():
        return stream
    spool: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the import)
    shutil.copyfileobj(stream, spool, 1 << 20)
    spool.seek(0)
    return spool


# ---- pass 1: what items need from each other ---------------------------------------------


@dataclass
class _Site:
    channel: dict[str, Any] = field(default_factory=dict)
    attachments: dict[int, Image] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)  # parent -> attachment ids
    groups: dict[str, set[int]] = field(default_factory=dict)  # group -> post ids to import
    categories: set[str | None] = field(default_factory=set)


def _survey(stream: IO[bytes]) -> _Site:
    site = _Site()
    # A break in the file: the second pass imports what comes before it, then reports it.
    with contextlib.suppress(ConversionFailed):
        _read_site(stream, site)
    site.categories |= site.channel.get("categories", set())
    return site


def _read_site(stream: IO[bytes], site: _Site) -> None:
    for raw in _items(stream, site.channel):
        if raw.post_type == "attachment":
            url = (raw.fields.get("wp:attachment_url") or raw.fields.get("guid") or "").strip()
            if url.startswith(("http://", "https://")):
                size = _SIZE_RE.search(raw.meta.get("_wp_attachment_metadata", ""))
                site.attachments[raw.post_id] = Image(
                    url=url,
                    alt=raw.meta.get("_wp_attachment_image_alt", "").strip(),
                    caption=(raw.fields.get("excerpt:encoded") or "").strip(),
                    width=int(size.group(1)) if size else None,
                    height=int(size.group(2)) if size else None,
                )
                parent = ascii_int(raw.fields.get("wp:post_parent"))
                if parent:
                    site.children.setdefault(parent, []).append(raw.post_id)
        for domain, nicename, name in raw.terms:
            if domain in ("category", ""):
                site.categories.add(slug_from(nicename) or slug_from(name))
        if _why_skipped(raw) is None and raw.group:
            site.groups.setdefault(raw.group, set()).add(raw.post_id)


def _why_skipped(raw: _Raw) -> str | None:
    if raw.post_type not in _IMPORTED_TYPES:
        return _SKIPPED_TYPE.get(raw.post_type, f"Post type '{raw.post_type}' is not imported.")
    if raw.status in _SKIPPED_STATUS:
        return _SKIPPED_STATUS[raw.status]
    if raw.status not in _STATUS:
        return f"Unknown status '{raw.status}'."
    return None


# ---- pass 2: the items --------------------------------------------------------------------


@dataclass
class _Post:
    raw: _Raw
    key: str
    lang: str
    title: str
    slug: str | None
    body: str
    excerpt: str
    status: str
    published_at: str | None
    updated_at: str | None
    tags: list[dict[str, Any]]
    notes: list[str]
    restricted: str | None = None  # why it was not public at the source
    cover: Image | None = None
    author: dict[str, Any] | None = None
    sticky: bool = False
    source_lang: str | None = None  # WPML: the language this post was translated from


def convert(stream: IO[bytes], options: Options) -> Iterator[Item]:
    stream = _seekable(stream)
    site = _survey(stream)
    stream.seek(0)
    default_lang = options.file_lang(site.channel.get("language"))
    remark = undeclared_lang(options, site.channel.get("language"))
    if remark is not None:
        yield remark
    waiting: dict[str, list[_Post]] = {}
    for raw in _items(stream, {}):
        reason = _why_skipped(raw)
        if reason is not None:
            yield Skipped(raw.post_type, raw.number, reason, raw.source_line, str(raw.post_id))
            continue
        post = _post(raw, site, default_lang)
        group = raw.group
        if group is None:
            yield _converted([post])
            continue
        members = waiting.setdefault(group, [])
        members.append(post)
        if {p.raw.post_id for p in members} >= site.groups.get(group, set()):
            yield _converted(waiting.pop(group))
    for members in waiting.values():
        yield _converted(members)


def _post(raw: _Raw, site: _Site, default_lang: str) -> _Post:
    fields, meta = raw.fields, raw.meta
    notes: list[str] = []
    lang = primary_lang(
        meta.get("_wpml_import_language_code")
        or next((nice for domain, nice, _ in raw.terms if domain == "language"), None),
        default_lang,
    )
    status = _STATUS[raw.status]
    restricted = None
    if raw.status == "private":
        restricted = "Private"
    elif fields.get("wp:post_password", "").strip():
        restricted = "Password-protected"
    thumbnail = ascii_int(meta.get("_thumbnail_id"))
    written_id = fields.get("wp:post_id", "").strip()
    if written_id and not raw.post_id:
        notes.append(f"wp:post_id '{written_id[:40]}' is not a number: identified by its guid.")
    login = fields.get("dc:creator", "").strip()
    name = site.channel.get("authors", {}).get(login) or login
    body, teaser = render(
        fields.get("content:encoded", ""),
        site.attachments,
        lambda: [site.attachments[i] for i in site.children.get(raw.post_id, [])],
    )
    title, note = title_or_text(" ".join(html.unescape(fields.get("title", "")).split()), body)
    if note:
        notes.append(note)
    published = _date(fields.get("wp:post_date_gmt"))
    if published is None and raw.status in ("publish", "private"):
        published = _rfc822(fields.get("pubDate"))
        _note_unread_dates(fields, published, notes)
    site_url = site.channel.get("site")
    key = (
        f"{site_url}/?p={raw.post_id}"
        if site_url and raw.post_id
        else fields.get("guid", "").strip() or f"wordpress-post-{raw.post_id}"
    )
    return _Post(
        raw=raw,
        key=key,
        lang=lang,
        title=title,
        slug=slug_from(fields.get("wp:post_name")),
        body=body,
        excerpt=excerpt(fields.get("excerpt:encoded")) or excerpt(teaser),
        status=status,
        published_at=published,
        updated_at=_date(fields.get("wp:post_modified_gmt")),
        tags=_tags(raw, lang, site, notes),
        notes=notes,
        restricted=restricted,
        cover=site.attachments.get(thumbnail) if thumbnail is not None else None,
        author=author(name, login, lang) if login else None,
        sticky=fields.get("wp:is_sticky", "0").strip() == "1",
        source_lang=meta.get("_wpml_import_source_language_code") or None,
    )


def _tags(raw: _Raw, lang: str, site: _Site, notes: list[str]) -> list[dict[str, Any]]:
    """Categories first (the first is the section), then tags; every one of them, each term
    known by its nicename (its slug), so that "News" under Sport and "News" under Politics
    stay two sections, each with its parent. A tag whose slug a category has keeps apart
    from it as `<slug>-tag` (WordPress keeps the two taxonomies apart; slugs here are one)."""
    found: list[dict[str, Any] | None] = []
    for is_tag in (False, True):
        for name, nicename in _terms(raw, is_tag):
            item = tag(name, nicename or None, lang, "topic" if is_tag else "section")
            if item is not None and is_tag and item["slug"] in site.categories:
                item["slug"] = f"{item['slug']}-tag"
            elif item is not None and not is_tag:
                _add_parents(item, site, lang)
            found.append(item)
    _note_merged(found, notes)
    return unique_tags(found)


_TAG_DOMAINS = ("post_tag", "tag")
_CATEGORY_DOMAINS = ("category", "")


def _terms(raw: _Raw, tags: bool) -> list[tuple[str, str]]:
    """The item's categories (or tags) in order: (name, nicename), each term once. WXR 1.0
    writes each term twice, bare then again with its nicename: the bare copy takes the
    nicename of the named one that follows it (names are not unique: nicenames are)."""
    domains = _TAG_DOMAINS if tags else _CATEGORY_DOMAINS
    found: list[list[str]] = []  # [name, nicename]; "" until the named copy comes
    for domain, nicename, name in raw.terms:
        if domain not in domains:
            continue
        nicename = nicename.strip()
        if not nicename:
            found.append([name, ""])
        elif all(nice != nicename for _, nice in found):
            bare = next((f for f in found if f[0] == name and not f[1]), None)
            if bare is not None:
                bare[1] = nicename
            else:
                found.append([name, nicename])
    named = {name for name, nice in found if nice}
    terms: list[tuple[str, str]] = []
    for name, nice in found:
        if (nice or name not in named) and (name, nice) not in terms:
            terms.append((name, nice))
    return terms


def _add_parents(item: dict[str, Any], site: _Site, lang: str) -> None:
    """The category's parent, and its parent's, as the channel's `wp:category` list says."""
    parents, names = (
        site.channel.get("category_parents", {}),
        site.channel.get("category_names", {}),
    )
    node, seen = item, {item["slug"]}
    while (parent := parents.get(node["slug"])) and parent not in seen and len(seen) < 20:
        seen.add(parent)
        node["parent"] = tag(names.get(parent, ""), parent, lang, "section")
        node = node["parent"]


def _note_merged(found: list[dict[str, Any] | None], notes: list[str]) -> None:
    """Two terms that come out with one slug (`News` and `news`...) are one tag: say so."""
    first: dict[str, dict[str, Any]] = {}
    for item in found:
        if item is None:
            continue
        kept = first.setdefault(item["slug"], item)
        if kept is not item and kept["names"] != item["names"]:
            notes.append(
                f"Terms {_name(kept)} and {_name(item)} have one slug, '{item['slug']}': "
                "imported as one tag."
            )


def _name(item: dict[str, Any]) -> str:
    return "'" + "', '".join(item["names"].values()) + "'" if item["names"] else "(no name)"


def _note_unread_dates(fields: dict[str, str], published: str | None, notes: list[str]) -> None:
    """A published post whose dates say something but read as none: said, with its values."""
    given = {
        name: fields.get(name, "").strip()
        for name in ("wp:post_date_gmt", "wp:post_date", "pubDate")
        if fields.get(name, "").strip()
    }
    if published is None and given:
        values = ", ".join(f"{name} '{value}'" for name, value in given.items())
        notes.append(
            f"No readable date ({values}): published with the import time as its date (set "
            "the date in the editor)."
        )


def _date(gmt: str | None) -> str | None:
    """`wp:post_date_gmt`; drafts have WordPress's 0000-00-00 00:00:00 placeholder: none."""
    if not gmt or gmt.strip().startswith("0000"):
        return None
    try:
        moment = datetime.strptime(gmt.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return utc(moment) if moment.year > 1970 else None


def _rfc822(value: str | None) -> str | None:
    """The item's pubDate; WordPress writes its zero date as `30 Nov -0001` (which mail
    parsers read as 1999 or 2000) or 1 Jan 1970: neither is a date."""
    if not value or "-0001" in value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return utc(moment) if moment.year > 1970 else None


def _converted(posts: list[_Post]) -> Converted:
    """One article from a post and its translations: the original gives the shared fields."""
    original = next(
        (p for p in posts if (p.raw.group or "").startswith("wpml:") and not p.source_lang),
        None,
    ) or min(posts, key=lambda p: p.raw.post_id)
    translations: dict[str, dict[str, Any]] = {}
    owners: dict[str, _Post] = {}
    notes: list[str] = []
    for post in sorted(posts, key=lambda p: (p is not original, p.raw.post_id)):
        notes += post.notes
        if post.lang in translations:
            notes.append(
                f"Post {post.raw.post_id} is a second '{post.lang}' translation: left out."
            )
            continue
        owners[post.lang] = post
        translations[post.lang] = {
            "lang": post.lang,
            "title": post.title,
            "slug": post.slug,
            "excerpt": post.excerpt,
            "body": post.body,
        }
    line = {
        "external_id": original.key,
        "original_lang": original.lang,
        "status": original.status,
        "published_at": original.published_at,
        **({"updated_at": original.updated_at} if original.updated_at else {}),
        "tags": original.tags,
        "translations": list(translations.values()),
    }
    # One restricted translation keeps the whole article from public view.
    why = next((p.restricted for p in posts if p.restricted), None)
    if why is not None:
        restrict(line, notes, why)
        for text in translations.values():  # WordPress shows no excerpt of these either
            text["excerpt"] = ""
    raw = original.raw
    kind = raw.post_type
    if kind == "page":
        set_page(line)
    cover = original.cover
    if cover is not None:
        set_cover(
            line,
            cover.url,
            width=cover.width,
            height=cover.height,
            alt=cover.alt,
            caption=cover.caption,
        )
        for lang, post in owners.items():  # each language's own alt text (Polylang media)
            text, own = translations[lang], post.cover
            if own is not None and post is not original and "cover_alt" in text:
                if own.alt:
                    text["cover_alt"] = own.alt
                if own.caption:
                    text["cover_caption"] = own.caption
    set_authors(line, [original.author])
    set_featured(line, original.sticky)
    return Converted(kind, raw.number, line, raw.source_line, str(raw.post_id), notes)
