"""SQL for delta sync: what changed in the change log, and what went live by the clock."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Uuid, and_, bindparam, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.articles.repository import is_public, unindexed_is_public
from app.models import Article, ArticleTombstone, ArticleType
from app.models.base import UTCDateTime

_ARTICLES_ONLY = Article.type == ArticleType.ARTICLE  # pages are not synced

LogPosition = tuple[int, uuid.UUID | None]  # (change_seq, last id delivered at that seq)


def _after(
    seq_column: InstrumentedAttribute[int],
    id_column: InstrumentedAttribute[uuid.UUID],
    *,
    with_id: bool,
) -> ColumnElement[bool]:
    """After the log position (`seq`, `after_id`): bind parameters."""
    seq = bindparam("seq", type_=Integer())
    if not with_id:
        return seq_column > seq
    after_id = bindparam("after_id", type_=Uuid())
    return or_(seq_column > seq, and_(seq_column == seq, id_column > after_id))


# The log's statements, one per shape, built once (see app.articles.repository.feed_page).
_CHANGED_PUBLIC = {
    with_id: select(Article.id, Article.change_seq.label("seq"))
    .where(
        # Walked in log order on the change_seq index: on SQLite, the feed index would
        # find every public article and sort them all (milliseconds per page at 5,000).
        unindexed_is_public(bindparam("now", type_=UTCDateTime())),
        _ARTICLES_ONLY,
        _after(Article.change_seq, Article.id, with_id=with_id),
        Article.change_seq <= bindparam("upto", type_=Integer()),
    )
    .order_by(Article.change_seq, Article.id)
    .limit(bindparam("limit"))
    for with_id in (False, True)
}
_tomb = ArticleTombstone
_REMOVALS = {
    with_id: select(
        _tomb.article_id.label("id"),
        _tomb.change_seq.label("seq"),
        _tomb.reason,
        _tomb.deleted_at,
    )
    .where(_after(_tomb.change_seq, _tomb.article_id, with_id=with_id))
    .where(
        _tomb.change_seq <= bindparam("upto", type_=Integer()),
        _tomb.change_seq > bindparam("floor", type_=Integer()),
    )
    .order_by(_tomb.change_seq, _tomb.article_id)
    .limit(bindparam("limit"))
    for with_id in (False, True)
}


def _position(after: LogPosition) -> dict[str, Any]:
    return {"seq": after[0], "after_id": after[1]}


def changed_public(
    session: Session, *, now: datetime, after: LogPosition, upto: int, limit: int
) -> Sequence[Any]:
    """Public articles whose last change is in (after, upto], in log order."""
    params = {**_position(after), "now": now, "upto": upto, "limit": limit}
    statement = _CHANGED_PUBLIC[after[1] is not None]
    return session.connection().execute(statement, params).all()


def removals(
    session: Session, *, after: LogPosition, upto: int, floor: int, limit: int
) -> Sequence[Any]:
    """Tombstones in (after, upto] above `floor`, in log order."""
    params = {**_position(after), "upto": upto, "floor": floor, "limit": limit}
    return session.connection().execute(_REMOVALS[after[1] is not None], params).all()


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
