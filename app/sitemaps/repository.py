"""All SQL of the sitemaps: keyset walks, a batch at a time, over the feed index
(ix_articles_feed) and the taxonomy tables. Nothing loads a whole table."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, exists, func, select, tuple_
from sqlalchemy.orm import Session

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


def first_published(
    session: Session, type_: ArticleType, now: datetime, at: datetime | None
) -> datetime | None:
    """The earliest publication time of a public article (or page) at `at` or later: one
    seek on the feed index, so the index skips empty months without scanning them."""
    query = select(Article.published_at).where(_public(type_, now))
    if at is not None:
        query = query.where(Article.published_at >= at)
    return session.scalar(query.order_by(Article.published_at).limit(1))


def month_stats(
    session: Session, type_: ArticleType, now: datetime, start: datetime, end: datetime
) -> tuple[int, datetime | None]:
    """(URLs, newest change) of the public articles published in [start, end): one URL per
    translation; the change is the later of publication and the last edit. Both walk the
    month's range of the feed index; translations are counted by article id (IN, so that
    no planner walks every translation instead)."""
    in_month = (
        _public(type_, now),
        Article.published_at >= start,
        Article.published_at < end,
    )
    changed_at = session.execute(
        select(func.max(Article.updated_at), func.max(Article.published_at)).where(*in_month)
    ).one()
    urls = session.scalar(
        select(func.count()).where(
            ArticleTranslation.article_id.in_(select(Article.id).where(*in_month))
        )
    )
    changed = [moment for moment in changed_at if moment is not None]
    return int(urls or 0), max(changed) if changed else None


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
    if after is not None:
        query = query.where(model.slug > after)
    return list(session.execute(query.order_by(model.slug).limit(limit)))
