"""Which URLs the sitemaps list (sitemaps.org 0.9), how they are split into child
sitemaps, and the Google News sitemap. XML: app.sitemaps.xml.

Articles and pages are split by month of publication (UTC), oldest first within a month,
so a month's file changes only when one of its articles does; a month over MAX_URLS URLs
goes on in `-2`, `-3`... Sections, tags and authors: their items with a public article, by
slug, MAX_URLS a file. One URL per translation (per named language for a facet), each with
every language version as an hreflang alternate plus `x-default`."""

import itertools
import math
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.articles import repository as articles_repo
from app.core import changes
from app.core.config import Settings
from app.core.errors import NotFound
from app.models import ArticleType
from app.sitemaps import repository as repo

MAX_URLS = 50_000  # per child sitemap (the protocol's limit); tests lower it
BATCH = 1_000  # rows read at once
NEWS_WINDOW = timedelta(hours=48)  # Google News reads the last two days' articles...
NEWS_MAX = 1_000  # ... at most this many per sitemap
X_DEFAULT = "x-default"

MONTHLY = {"articles": ArticleType.ARTICLE, "pages": ArticleType.PAGE}
KINDS = (*MONTHLY, *repo.FACET_KINDS)
_MONTH_NAME = re.compile(r"([1-9]\d{3})-(0[1-9]|1[0-2])(?:-([2-9]|[1-9]\d{1,6}))?")
_PART_NAME = re.compile(r"[1-9]\d{0,6}")


@dataclass(frozen=True, slots=True)
class Url:
    loc: str
    lastmod: datetime | None
    alternates: tuple[tuple[str, str], ...]  # (hreflang, href), x-default last


@dataclass(frozen=True, slots=True)
class Child:
    """An entry of the sitemap index: the child's path and when its content last changed."""

    path: str
    lastmod: datetime | None


@dataclass(frozen=True, slots=True)
class NewsItem:
    loc: str
    title: str
    published_at: datetime


@dataclass(frozen=True, slots=True)
class News:
    publication: str
    lang: str
    items: list[NewsItem]

    @property
    def valid_until(self) -> datetime | None:
        """When the oldest item leaves the window: the sitemap changes then, with no write."""
        if not self.items:
            return None
        return min(item.published_at for item in self.items) + NEWS_WINDOW


def _month_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    if start.year == MAXYEAR and start.month == 12:
        return datetime.max.replace(tzinfo=UTC)
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _parts(urls: int) -> int:
    return math.ceil(urls / MAX_URLS)


def _part_name(base: str, part: int) -> str:
    return base if part == 1 else f"{base}-{part}"


def index(session: Session, settings: Settings, now: datetime) -> list[Child]:
    """Every child sitemap: articles and pages month by month, then the facets'. A bounded
    number of statements at any size: one GROUP BY per kind, and an exact count only for a
    month (or facet kind) that might hold more than MAX_URLS URLs."""
    children: list[Child] = []
    langs = repo.most_languages(session)
    for kind, type_ in MONTHLY.items():
        for month in repo.months(session, type_, now):
            base = f"{month.start:%Y-%m}"
            children += [
                Child(f"{kind}/{_part_name(base, part)}", month.lastmod)
                for part in range(1, _month_parts(session, type_, now, month, langs) + 1)
            ]
    for kind in repo.FACET_KINDS:
        children += [
            Child(f"{kind}/{part}", None)
            for part in range(1, _facet_parts(session, settings, kind, now) + 1)
        ]
    return children


def _month_parts(
    session: Session, type_: ArticleType, now: datetime, month: repo.Month, langs: int
) -> int:
    """A month's files. Each article has a URL per translation, so at most `langs`: when
    that fits in one file, one file, without counting them."""
    if month.articles * langs <= MAX_URLS:
        return 1
    urls = repo.month_urls(session, type_, now, month.start, _next_month(month.start))
    return _parts(urls)


def _facet_parts(session: Session, settings: Settings, kind: str, now: datetime) -> int:
    """A facet kind's files. Each facet has a URL per site language at most: when that fits
    in one file, one file (or none), from a capped count instead of the walk."""
    fits = MAX_URLS // len(settings.site_languages)
    found = repo.count_facets(session, kind, now, fits + 1)
    if found <= fits:
        return min(found, 1)
    return _parts(sum(len(group) for group in _facet_groups(session, settings, kind, now)))


def child_keys(kind: str, name: str) -> set[str]:
    """What a child sitemap depends on (app.core.changes): a month's, the writes to articles
    published in it; a facet file's, which facets there are and which have articles."""
    match = _MONTH_NAME.fullmatch(name) if kind in MONTHLY else None
    if match is not None:
        return {changes.month(datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC))}
    return {changes.LISTING, changes.TAXONOMY}


def child(
    session: Session, settings: Settings, kind: str, name: str, now: datetime
) -> Iterator[Url]:
    """One child sitemap's URLs, read a batch at a time as they are written (a file holds
    up to MAX_URLS); an unknown kind, name or part is a 404."""
    if kind in MONTHLY:
        match = _MONTH_NAME.fullmatch(name)
        if match is None:
            raise NotFound(f"No sitemap '{kind}/{name}': months are named like 2026-11.")
        start = datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
        groups = _month_groups(session, settings, MONTHLY[kind], start, now)
        part = int(match[3] or 1)
    elif kind in repo.FACET_KINDS:
        if _PART_NAME.fullmatch(name) is None:
            raise NotFound(f"No sitemap '{kind}/{name}': its files are numbered from 1.")
        groups, part = _facet_groups(session, settings, kind, now), int(name)
    else:
        raise NotFound(f"No sitemaps of '{kind}'; there are {', '.join(KINDS)}.")
    urls = _part(groups, part)
    first = next(urls, None)
    if first is None:
        raise NotFound(f"No sitemap '{kind}/{name}'.")
    return itertools.chain([first], urls)


def _part(groups: Iterable[list[Url]], part: int) -> Iterator[Url]:
    """The URLs of file `part` (from 1): the MAX_URLS after (part - 1) * MAX_URLS."""
    first, seen = (part - 1) * MAX_URLS, 0
    for group in groups:
        for url in group:
            if seen >= first + MAX_URLS:
                return
            if seen >= first:
                yield url
            seen += 1


def _alternates(urls: dict[str, str], default_lang: str) -> tuple[tuple[str, str], ...]:
    default = urls.get(default_lang) or next(iter(urls.values()))
    return (*sorted(urls.items()), (X_DEFAULT, default))


def _group(urls: dict[str, str], default_lang: str, lastmod: datetime | None) -> list[Url]:
    alternates = _alternates(urls, default_lang)
    return [Url(loc, lastmod, alternates) for _, loc in sorted(urls.items())]


def _month_groups(
    session: Session, settings: Settings, type_: ArticleType, start: datetime, now: datetime
) -> Iterator[list[Url]]:
    """Each public article of the month, oldest first, as its URLs. x-default: the
    original language's version."""
    end, after = _next_month(start), None
    template = settings.frontend_url_template
    while True:
        rows = repo.published_between(session, type_, now, start, end, after, BATCH)
        slugs = repo.slugs_of(session, [row.id for row in rows]) if rows else {}
        for row in rows:
            urls = {lang: _fill(template, lang, slug) for lang, slug in slugs[row.id].items()}
            yield _group(urls, row.original_lang, max(row.updated_at, row.published_at))
        if len(rows) < BATCH:
            return
        after = (rows[-1].published_at, rows[-1].id)


def _fill(template: str, lang: str, slug: str) -> str:
    return template.replace("{lang}", lang).replace("{slug}", slug)


def _facet_template(settings: Settings, kind: str) -> str:
    return {
        "sections": settings.frontend_section_url_template,
        "tags": settings.frontend_tag_url_template,
        "authors": settings.frontend_author_url_template,
    }[kind]


def _facet_groups(
    session: Session, settings: Settings, kind: str, now: datetime
) -> Iterator[list[Url]]:
    """Each section, tag or author with a public article, by slug, in every site language
    it has a name in (the site's default language if none). No lastmod: what a facet's page
    shows is its newest articles, which the article sitemaps date."""
    template, langs = _facet_template(settings, kind), settings.site_languages
    after: str | None = None
    while True:
        rows = repo.facets_after(session, kind, now, after, BATCH)
        names = _facet_names(session, kind, [row.id for row in rows]) if rows else {}
        for row in rows:
            named = [lang for lang in langs if lang in names.get(row.id, {})]
            urls = {
                lang: _fill(template, lang, row.slug) for lang in named or [settings.default_lang]
            }
            yield _group(urls, settings.default_lang, None)
        if len(rows) < BATCH:
            return
        after = rows[-1].slug


def _facet_names(session: Session, kind: str, ids: list[int]) -> dict[int, dict[str, str]]:
    if kind == "authors":
        return articles_repo.author_names(session, ids)[0]
    return articles_repo.tag_names(session, ids)


def news(session: Session, settings: Settings, lang: str, now: datetime) -> News:
    """The articles in `lang` published in the last NEWS_WINDOW, newest first."""
    if lang not in settings.site_languages:
        raise NotFound(
            f"No news sitemap in '{lang}'; there are {', '.join(settings.site_languages)}."
        )
    since = now - NEWS_WINDOW
    rows = articles_repo.feed_page(
        session,
        now=now,
        where=articles_repo.FeedFilter(only_lang=lang),
        after=None,
        limit=NEWS_MAX,
    )
    fresh: list[Any] = [row for row in rows if row.published_at >= since]
    ids: list[uuid.UUID] = [row.id for row in fresh]
    titles = repo.titles_in(session, ids, lang) if ids else {}
    template = settings.frontend_url_template
    return News(
        publication=settings.news_publication_name or settings.site_title,
        lang=lang,
        items=[
            NewsItem(
                loc=_fill(template, lang, titles[row.id].slug),
                title=titles[row.id].title,
                published_at=row.published_at,
            )
            for row in fresh
        ],
    )
