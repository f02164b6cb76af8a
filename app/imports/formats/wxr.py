"""WordPress eXtended RSS (WXR 1.0–1.2), the file Tools → Export writes.

Posts only (pages, attachments and menu items are skipped), with categories (first: the
section) and tags, status, GMT dates, `wp:post_name` as slug and `content:encoded` HTML.
Translations linked by Polylang (a `post_translations` term) or by WPML's export plugin
(`_wpml_import_translation_group` meta) become one article with several translations.
Parsed as a stream (defusedxml iterparse); grouped posts wait until their group is whole.
"""

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml.ElementTree import iterparse

from app.imports.formats.common import (
    ConversionFailed,
    excerpt,
    paragraphs,
    primary_lang,
    slug_from,
    tag,
    unique_tags,
    utc,
)

_STATUS = {"publish": "published", "future": "published", "draft": "draft", "pending": "draft"}
_STATUS |= {"private": "draft"}
_TERM_ID_RE = re.compile(r's:\d+:"([^"]+)";i:(\d+);')


@dataclass
class _Post:
    post_id: int
    guid: str
    lang: str
    title: str
    slug: str | None
    body: str
    excerpt: str
    status: str
    published_at: str | None
    updated_at: str | None
    tags: list[dict[str, Any]]
    group: str | None = None
    source_lang: str | None = None  # WPML: the language this post was translated from


@dataclass
class _Groups:
    """Posts that are translations of one another, held until their group is whole."""

    expected: dict[str, set[int]] = field(default_factory=dict)  # Polylang: group -> post ids
    waiting: dict[str, list[_Post]] = field(default_factory=dict)

    def add(self, post: _Post) -> list[_Post] | None:
        assert post.group is not None
        members = self.waiting.setdefault(post.group, [])
        members.append(post)
        if {p.post_id for p in members} >= self.expected.get(post.group, {-1}):
            return self.waiting.pop(post.group)
        return None


def _key(tag_name: str) -> str:
    """`{http://wordpress.org/export/1.2/}post_name` -> `wp:post_name`."""
    if not tag_name.startswith("{"):
        return tag_name
    uri, local = tag_name[1:].split("}", 1)
    if uri.startswith("http://wordpress.org/export/"):
        return f"excerpt:{local}" if uri.rstrip("/").endswith("excerpt") else f"wp:{local}"
    if uri == "http://purl.org/rss/1.0/modules/content/":
        return f"content:{local}"
    if uri == "http://purl.org/dc/elements/1.1/":
        return f"dc:{local}"
    return local


def convert(stream: IO[bytes], default_lang: str) -> Iterator[dict[str, Any]]:
    groups = _Groups()
    channel: Element | None = None
    try:
        for event, element in iterparse(stream, events=("start", "end")):
            name = _key(element.tag)
            if event == "start":
                if name == "channel":
                    channel = element
                continue
            if name == "wp:term" and channel is not None:
                _read_group_term(element, groups)
            elif name == "item":
                post = _post(element, default_lang)
                if channel is not None:
                    channel.remove(element)  # keep memory flat on large exports
                if post is None:
                    continue
                whole = groups.add(post) if post.group else [post]
                if whole:
                    yield _line(whole)
    except ParseError as exc:
        raise ConversionFailed(f"Not a well-formed WXR file: {exc}") from exc
    for members in groups.waiting.values():
        yield _line(members)


def _read_group_term(term: Element, groups: _Groups) -> None:
    fields = {_key(child.tag): (child.text or "") for child in term}
    if fields.get("wp:term_taxonomy") == "post_translations":
        ids = {int(post_id) for _, post_id in _TERM_ID_RE.findall(fields["wp:term_description"])}
        groups.expected[f"pll:{fields.get('wp:term_slug', '')}"] = ids


def _post(item: Element, default_lang: str) -> _Post | None:
    fields: dict[str, str] = {}
    meta: dict[str, str] = {}
    categories: list[tuple[str, str, str]] = []  # (domain, nicename, name)
    for child in item:
        key = _key(child.tag)
        if key == "category":
            domain = child.get("domain", "category")
            categories.append((domain, child.get("nicename", ""), child.text or ""))
        elif key == "wp:postmeta":
            pair = {_key(c.tag): (c.text or "") for c in child}
            meta[pair.get("wp:meta_key", "")] = pair.get("wp:meta_value", "")
        else:
            fields[key] = child.text or ""
    status = _STATUS.get(fields.get("wp:status", ""))
    if fields.get("wp:post_type", "post") != "post" or status is None:
        return None
    lang = primary_lang(
        meta.get("_wpml_import_language_code")
        or next((nice for domain, nice, _ in categories if domain == "language"), None),
        default_lang,
    )
    group = next((f"pll:{nice}" for d, nice, _ in categories if d == "post_translations"), None)
    if meta.get("_wpml_import_translation_group"):
        group = f"wpml:{meta['_wpml_import_translation_group']}"
    post_id = int(fields.get("wp:post_id") or 0)
    return _Post(
        post_id=post_id,
        guid=fields.get("guid", "").strip() or f"wordpress-post-{post_id}",
        lang=lang,
        title=" ".join(html.unescape(fields.get("title", "")).split()),  # WP keeps &#8217;
        slug=slug_from(fields.get("wp:post_name")),
        body=paragraphs(fields.get("content:encoded", "")),
        excerpt=excerpt(fields.get("excerpt:encoded")),
        status=status,
        published_at=_date(fields.get("wp:post_date_gmt"), fields.get("pubDate")),
        updated_at=_date(fields.get("wp:post_modified_gmt"), None),
        tags=unique_tags(
            [tag(name, nice, lang) for d, nice, name in categories if d == "category"]
            + [tag(name, nice, lang) for d, nice, name in categories if d == "post_tag"]
        ),
        group=group,
        source_lang=meta.get("_wpml_import_source_language_code") or None,
    )


def _date(gmt: str | None, rfc822: str | None) -> str | None:
    """`wp:post_date_gmt` (drafts have 0000-00-00 00:00:00), else the RSS pubDate."""
    if gmt and not gmt.startswith("0000"):
        try:
            return utc(datetime.strptime(gmt.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC))
        except ValueError:
            pass
    if rfc822:
        try:
            moment = parsedate_to_datetime(rfc822)
        except (TypeError, ValueError):
            return None
        return utc(moment) if moment.timestamp() > 0 else None  # drafts say 1 Jan 1970
    return None


def _line(posts: list[_Post]) -> dict[str, Any]:
    """One article from a post and its translations: the original gives the shared fields."""
    original = next((p for p in posts if p.group and p.group.startswith("wpml:") and
                     not p.source_lang), None) or min(posts, key=lambda p: p.post_id)  # fmt: skip
    translations: dict[str, dict[str, Any]] = {}
    for post in sorted(posts, key=lambda p: (p is not original, p.post_id)):
        translations.setdefault(
            post.lang,
            {
                "lang": post.lang,
                "title": post.title,
                "slug": post.slug,
                "excerpt": post.excerpt,
                "body": post.body,
            },
        )
    return {
        "external_id": original.guid,
        "original_lang": original.lang,
        "status": original.status,
        "published_at": original.published_at,
        **({"updated_at": original.updated_at} if original.updated_at else {}),
        "tags": original.tags,
        "translations": list(translations.values()),
    }
