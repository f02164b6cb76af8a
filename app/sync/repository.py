"""SQL for delta sync: what changed in the change log, and what went live by the clock."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.articles.repository import is_public
from app.models import Article, ArticleTombstone, ArticleType

_ARTICLES_ONLY = Article.type == ArticleType.ARTICLE  # pages are not synced

LogPosition = tuple[int, uuid.UUID | None]  # (change_seq, last id delivered at that seq)


def _after(
    seq_column: InstrumentedAttribute[int],
    id_column: InstrumentedAttribute[uuid.UUID],
    position: LogPosition,
) -> ColumnElement[bool]:
    seq, after_id = position
    if after_id is None:
        return seq_column > seq
    return or_(seq_column > seq, and_(seq_column == seq, id_column > after_id))


def changed_public(
    session: Session, *, now: datetime, after: LogPosition, upto: int, limit: int
) -> Sequence[Any]:
    """Public articles whose last change is in (after, upto], in log order."""
    return session.execute(
        select(Article.id, Article.change_seq.label("seq"))
        .where(is_public(now), _ARTICLES_ONLY, _after(Article.change_seq, Article.id, after))
        .where(Article.change_seq <= upto)
        .order_by(Article.change_seq, Article.id)
        .limit(limit)
    ).all()


def removals(
    session: Session, *, after: LogPosition, upto: int, floor: int, limit: int
) -> Sequence[Any]:
    """Tombstones in (after, upto] above `floor`, in log order."""
    tomb = ArticleTombstone
    return session.execute(
        select(
            tomb.article_id.label("id"),
            tomb.change_seq.label("seq"),
            tomb.reason,
            tomb.deleted_at,
        )
        .where(_after(tomb.change_seq, tomb.article_id, after))
        .where(tomb.change_seq <= upto, tomb.change_seq > floor)
        .order_by(tomb.change_seq, tomb.article_id)
        .limit(limit)
    ).all()


def went_live(
    session: Session,
    *,
    now: datetime,
    since: datetime,
    until: datetime,
    max_seq: int,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[Any]:
    """Articles public `now` whose go-live time is in (since, until] and whose last write
    is at or before `max_seq`: they became public by the clock, with no write. Public by
    the server's clock, whatever `until` says."""
    query = select(Article.id, Article.published_at).where(
        is_public(now),
        _ARTICLES_ONLY,
        Article.published_at > since,
        Article.published_at <= until,
        Article.change_seq <= max_seq,
    )
    if after is not None:
        query = query.where(tuple_(Article.published_at, Article.id) > tuple_(*after))
    return session.execute(query.order_by(Article.published_at, Article.id).limit(limit)).all()
