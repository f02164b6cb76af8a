"""Small rules the converters share: slugs, languages, dates, tags, HTML paragraphs."""

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from app.core.html import to_plain_text
from app.core.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN, slugify_title

_SLUG_RE = re.compile(SLUG_PATTERN)
_BLOCK_RE = re.compile(r"<(p|div|ul|ol|h[1-6]|blockquote|figure|table|pre|section)\b", re.I)
MAX_TAGS = 20
MAX_EXCERPT = 5000


class ConversionFailed(Exception):
    """The input is not a file of the format named."""


def slug_from(text: str | None) -> str | None:
    """A stored slug kept as it is when valid; percent-encoded or Cyrillic ones (WordPress
    keeps `%d0%bd...`) transliterated; None when there is nothing to go on."""
    if not text:
        return None
    decoded = unquote(text).strip().lower()
    if _SLUG_RE.match(decoded) and len(decoded) <= MAX_SLUG_LENGTH:
        return decoded
    slug = slugify_title(decoded)
    return None if slug == "article" else slug


def slug_from_link(link: str | None) -> str | None:
    """The last path segment of an article's old URL, when it looks like a slug."""
    if not link:
        return None
    segment = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    slug = slug_from(segment) if segment and not segment.isdigit() else None
    return slug if slug and "." not in segment else None


def primary_lang(code: str | None, default: str) -> str:
    """`en-US` -> `en`: the site's languages are primary subtags."""
    if not code:
        return default
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,8}", primary) else default


def utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tag(name: str, slug: str | None, lang: str) -> dict[str, Any] | None:
    name = " ".join(name.split())[:200]
    slug = slug_from(slug) or slug_from(name)
    if not slug:
        return None
    return {"slug": slug, "names": {lang: name} if name else {}}


def unique_tags(tags: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in tags:
        if item is not None and item["slug"] not in seen:
            seen[item["slug"]] = item
    return list(seen.values())[:MAX_TAGS]


def excerpt(html_or_text: str | None) -> str:
    return to_plain_text(html_or_text or "")[:MAX_EXCERPT]


def paragraphs(html: str) -> str:
    """WordPress stores classic posts without <p> (it adds them when rendering): do the same,
    blank lines between paragraphs, single newlines as <br>."""
    if not html.strip() or _BLOCK_RE.search(html):
        return html
    blocks = [b.strip() for b in re.split(r"\n\s*\n", html.replace("\r\n", "\n"))]
    return "".join(f"<p>{b.replace(chr(10), '<br>')}</p>" for b in blocks if b)
