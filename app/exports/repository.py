"""SQL of exports: articles walked by id (keyset), a page at a time."""

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.models import Article, Tag

ArticleRow = Row[*tuple[Any, ...]]


def article_page(session: Session, after: uuid.UUID | None, limit: int) -> list[ArticleRow]:
    """Every article, drafts included, by id: the index seeks to `after` (no OFFSET)."""
    query = _ARTICLE
    if after is not None:
        query = query.where(Article.id > after)
    return list(session.execute(query.order_by(Article.id).limit(limit)).all())


def articles_by_id(session: Session, ids: Collection[uuid.UUID]) -> list[ArticleRow]:
    if not ids:
        return []
    return list(session.execute(_ARTICLE.where(Article.id.in_(ids)).order_by(Article.id)).all())


def tag_tree(session: Session, tag_ids: Collection[int]) -> dict[int, Row[Any]]:
    """These tags and their parents, up to the top: (id, slug, kind, parent_id) by id. One
    query a level: one in all when no tag has a parent."""
    found: dict[int, Row[Any]] = {}
    wanted = set(tag_ids)
    while wanted:
        rows = session.execute(
            select(Tag.id, Tag.slug, Tag.kind, Tag.parent_id).where(Tag.id.in_(wanted))
        ).all()
        found.update({row.id: row for row in rows})
        wanted = {row.parent_id for row in rows if row.parent_id is not None} - found.keys()
    return found


_ARTICLE = select(
    Article.id,
    Article.external_id,
    Article.original_lang,
    Article.status,
    Article.published_at,
    Article.updated_at,
    Article.type,
    Article.visibility,
    Article.canonical_url,
    Article.cover_url,
    Article.cover_width,
    Article.cover_height,
    Article.featured,
)
