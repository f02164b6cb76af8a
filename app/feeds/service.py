"""Syndication: which articles a feed carries, and what it is called. Formats: formats.py."""

import enum
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from app.articles import reading
from app.articles.repository import FeedFilter
from app.articles.schemas import ArticleRead
from app.core.config import Settings
from app.core.errors import NotFound
from app.core.http import make_locale
from app.taxonomy.service import AUTHORS, SOURCES, TAGS, Taxonomy, get, to_read

FEED_LENGTH = 30

# What a feed is, in its own language; other languages get English.
_FRESH_POSTS = {"uk": "Свіжі дописи", "en": "Fresh posts"}


class FeedFormat(enum.StrEnum):
    RSS = "rss"
    ATOM = "atom"
    JSON = "json"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    FeedFormat.RSS: "application/rss+xml",
    FeedFormat.ATOM: "application/atom+xml",
    FeedFormat.JSON: "application/feed+json",
}


@dataclass(frozen=True)
class Channel:
    """One feed, independent of its format."""

    lang: str
    langs: list[str]  # every language this feed exists in (for alternates)
    publisher: str
    title: str
    description: str
    home_url: str
    base_url: str  # where the API is served (no trailing slash), for the feed's own URL
    path: str  # "/v1/feeds/{lang}" or "/v1/feeds/{lang}/tags/news": "." + format follows
    items: list[ArticleRead]
    updated: datetime

    def url(self, fmt: FeedFormat, lang: str | None = None) -> str:
        return f"{self.base_url}{self.path.replace('{lang}', lang or self.lang)}.{fmt}"


def unknown_format(raw: str) -> NotFound:
    formats = ", ".join(f".{fmt}" for fmt in FeedFormat)
    return NotFound(f"No feed format '.{raw}'; there are {formats}.")


FEED_KINDS = {"tags": TAGS, "sources": SOURCES, "authors": AUTHORS}
# `/author/{slug}` (the contract's spelling) is the same feed as `/authors/{slug}`.
_KIND_ALIASES = {"author": AUTHORS}


def parse_kind(raw: str) -> Taxonomy:
    taxonomy = FEED_KINDS.get(raw) or _KIND_ALIASES.get(raw)
    if taxonomy is None:
        kinds = ", ".join(FEED_KINDS)
        raise NotFound(f"No feeds by '{raw}'; there are feeds by {kinds}.")
    return taxonomy


def channel(
    session: Session,
    settings: Settings,
    lang: str,
    *,
    base_url: str,
    taxonomy: Taxonomy | None = None,
    slug: str | None = None,
) -> Channel:
    """The newest public articles in `lang` (with the feed's fallback), optionally those
    of one tag or source; unknown languages, tags and sources are a 404."""
    langs = settings.site_languages  # normalized by Settings
    if lang not in langs:
        raise NotFound(f"No feeds in '{lang}'; there are feeds in {', '.join(langs)}.")
    locale = make_locale(settings, lang)
    title, path, where = settings.site_title, "/v1/feeds/{lang}", FeedFilter()
    if taxonomy is not None and slug is not None:
        item = get(session, taxonomy, slug)
        title = f"{title}: {to_read(taxonomy, item, locale).name}"
        path += f"/{taxonomy.kind}s/{slug}"
        where = FeedFilter(
            tag_id=item.id if taxonomy is TAGS else None,
            source_id=item.id if taxonomy is SOURCES else None,
            author_id=item.id if taxonomy is AUTHORS else None,
        )
    items = reading.latest(session, locale, where, FEED_LENGTH)
    home = urlsplit(locale.url(lang, ""))
    return Channel(
        lang=lang,
        langs=langs,
        publisher=settings.site_title,
        title=title,
        description=f"{_FRESH_POSTS.get(lang, _FRESH_POSTS['en'])}: {title}",
        home_url=f"{home.scheme}://{home.netloc}/",
        base_url=base_url,
        path=path,
        items=items,
        # The newest change among the items: the feed is unchanged until one changes.
        updated=max((item.updated_at for item in items), default=locale.now),
    )
