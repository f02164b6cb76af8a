"""SQL of exports: articles walked by id (keyset), a page at a time."""

import uuid
from datetime import datetime

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from app.models import Article, ArticleStatus

ArticleRow = Row[
    uuid.UUID, str | None, str, ArticleStatus, datetime | None, datetime, str | None, bool
]


def article_page(session: Session, after: uuid.UUID | None, limit: int) -> list[ArticleRow]:
    """Every article, drafts included, by id: the index seeks to `after` (no OFFSET)."""
    query = select(
        Article.id,
        Article.external_id,
        Article.original_lang,
        Article.status,
        Article.published_at,
        Article.updated_at,
        Article.cover_image_url,
        Article.featured,
    )
    if after is not None:
        query = query.where(Article.id > after)
    return list(session.execute(query.order_by(Article.id).limit(limit)).all())
