"""SQL of exports: articles walked by id (keyset), a page at a time."""

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.models import Article

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
