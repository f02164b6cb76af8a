"""All SQL of the sitemaps: keyset walks, a batch at a time, over the feed index
(ix_articles_feed) and the taxonomy tables. Nothing loads a whole table."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FunctionElement,
    Row,
    Select,
    exists,
    func,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.compiler import SQLCompiler

from app.articles.repository import is_public
from app.models import (
    Article,
    ArticleAuthor,
    ArticleTag,
    ArticleTranslation,
    ArticleType,
    Author,
    Tag,
)

Position = tuple[datetime, uuid.UUID]


def _public(type_: ArticleType, now: datetime) -> ColumnElement[bool]:
    return is_public(now) & (Article.type == type_)


class _UtcMonth(FunctionElement[Any]):
    """A timestamp's month (UTC) to GROUP BY over the covering index: 'YYYY-MM' on SQLite,
    the month's first moment on PostgreSQL (date_trunc, far cheaper than to_char)."""

    inherit_cache = True


@compiles(_UtcMonth, "sqlite")
def _utc_month_sqlite(element: _UtcMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps UTC text ('2026-11-30 23:59:59.000000'): its first 7 characters.
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(_UtcMonth, "postgresql")
def _utc_month_postgresql(element: _UtcMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # UTC whatever the session's TimeZone is.
    moment = compiler.process(element.clauses, **kw)
    return f"date_trunc('month', {moment} AT TIME ZONE 'UTC')"


def _month_of(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return datetime(value.year, value.month, 1, tzinfo=UTC)
    return datetime(int(value[:4]), int(value[5:7]), 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Month:
    start: datetime
    articles: int
    lastmod: datetime | None


def months(session: Session, type_: ArticleType, now: datetime) -> list[Month]:
    """Each month (UTC) with a public article (or page), oldest first: how many, and the
    newest change (the later of publication and the last edit). One GROUP BY over
    ix_articles_sitemap, which holds every column it reads (an index-only scan); no ORDER
    BY, so PostgreSQL hashes the groups instead of sorting every row."""
    month = _UtcMonth(Article.published_at)
    rows = session.execute(
        select(month, func.count(), func.max(Article.updated_at), func.max(Article.published_at))
        .where(_public(type_, now))
        .group_by(month)
    )
    found = []
    for name, articles, updated, published in rows:
        changed = [_aware(moment) for moment in (updated, published) if moment is not None]
        found.append(Month(_month_of(name), int(articles), max(changed) if changed else None))
    return sorted(found, key=lambda month: month.start)


def _aware(moment: datetime) -> datetime:
    # An aggregate's result skips the column type's conversion on SQLite (naive UTC).
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def most_languages(session: Session) -> int:
    """How many languages the translations use (a bound on one article's URLs): a loose
    index scan, one seek per language on the (lang, slug) index, never a walk of them all."""
    first = select(func.min(ArticleTranslation.lang)).scalar_subquery()
    langs = select(first.label("lang")).cte("langs", recursive=True)
    following = (
        select(func.min(ArticleTranslation.lang))
        .where(ArticleTranslation.lang > langs.c.lang)
        .scalar_subquery()
    )
    langs = langs.union_all(select(following).where(langs.c.lang.is_not(None)))
    return int(session.scalar(select(func.count(langs.c.lang))) or 0)


def month_urls(
    session: Session, type_: ArticleType, now: datetime, start: datetime, end: datetime
) -> int:
    """The URLs of the public articles published in [start, end): one per translation,
    counted by article id (IN, so that no planner walks every translation instead)."""
    in_month = select(Article.id).where(
        _public(type_, now), Article.published_at >= start, Article.published_at < end
    )
    query = select(func.count()).where(ArticleTranslation.article_id.in_(in_month))
    return int(session.scalar(query) or 0)


def published_between(
    session: Session,
    type_: ArticleType,
    now: datetime,
    start: datetime,
    end: datetime,
    after: Position | None,
    limit: int,
) -> list[Row[Any]]:
    """The next `limit` public articles published in [start, end), oldest first, after
    `after` (keyset: a row comparison the index seeks to, never OFFSET)."""
    query = select(
        Article.id, Article.published_at, Article.updated_at, Article.original_lang
    ).where(_public(type_, now), Article.published_at >= start, Article.published_at < end)
    if after is not None:
        query = query.where(tuple_(Article.published_at, Article.id) > tuple_(*after))
    return list(session.execute(query.order_by(Article.published_at, Article.id).limit(limit)))


def slugs_of(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    """Each article's slug by language."""
    rows = session.execute(
        select(ArticleTranslation.article_id, ArticleTranslation.lang, ArticleTranslation.slug)
        .where(ArticleTranslation.article_id.in_(ids))
        .order_by(ArticleTranslation.article_id, ArticleTranslation.lang)
    )
    slugs: dict[uuid.UUID, dict[str, str]] = {}
    for article_id, lang, slug in rows:
        slugs.setdefault(article_id, {})[lang] = slug
    return slugs


def titles_in(
    session: Session, ids: list[uuid.UUID], lang: str
) -> dict[uuid.UUID, Row[uuid.UUID, str, str]]:
    """(slug, title) of each article's translation in `lang`."""
    rows = session.execute(
        select(
            ArticleTranslation.article_id, ArticleTranslation.slug, ArticleTranslation.title
        ).where(ArticleTranslation.article_id.in_(ids), ArticleTranslation.lang == lang)
    )
    return {row.article_id: row for row in rows}


# A facet's sitemap: its items that have at least one public article (an empty tag page
# is not worth a crawl), by slug. Sections are the tags of kind "section".
FACET_KINDS = ("sections", "tags", "authors")


def facets_after(
    session: Session, kind: str, now: datetime, after: str | None, limit: int
) -> list[Row[Any]]:
    """The next `limit` (id, slug) of `kind` after the slug `after`, each with a public
    article (an EXISTS that stops at the first one found)."""
    query, slug = _facets(kind, now)
    if after is not None:
        query = query.where(slug > after)
    return list(session.execute(query.order_by(slug).limit(limit)))


def count_facets(session: Session, kind: str, now: datetime, limit: int) -> int:
    """How many of `kind` have a public article, counting no further than `limit`."""
    query, _ = _facets(kind, now)
    return int(session.scalar(select(func.count()).select_from(query.limit(limit).subquery())) or 0)


def _facets(kind: str, now: datetime) -> tuple[Select[int, str], InstrumentedAttribute[str]]:
    """(id, slug) of each of `kind` with a public article, and its slug column."""
    model: type[Tag] | type[Author]
    if kind == "authors":
        model, link_article, link_owner = Author, ArticleAuthor.article_id, ArticleAuthor.author_id
    else:
        model, link_article, link_owner = Tag, ArticleTag.article_id, ArticleTag.tag_id
    # Nested: down the facet's links, each article by its key. As one join, SQLite's
    # planner walks every public article for every facet instead.
    public_article = exists().where(Article.id == link_article, _public(ArticleType.ARTICLE, now))
    has_public = exists().where(link_owner == model.id, public_article)
    query = select(model.id, model.slug).where(has_public)
    if kind == "sections":
        query = query.where(Tag.kind == "section")
    elif kind == "tags":
        query = query.where(Tag.kind != "section")
    return query, model.slug
