"""All SQL of CDN purges: the journal cursor, go-lives, and the purge outbox."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, insert, select, update
from sqlalchemy.orm import Session

from app.articles.repository import current_change_seq, facet_keys, is_public
from app.core import changes
from app.models import (
    Article,
    ArticleTranslation,
    CdnPurge,
    CdnPurgeCursor,
    ChangeJournal,
    DeliveryState,
)
from app.webhooks.repository import take_dispatch_lock

# The PostgreSQL advisory lock one purge dispatcher holds (webhooks hold another).
_PURGE_LOCK = 0x0CD_9E6E
_CURSOR = 1
GO_LIVE_ROWS = 1_000


def take_lock(session: Session) -> bool:
    return take_dispatch_lock(session, _PURGE_LOCK)


def cursor(session: Session) -> CdnPurgeCursor | None:
    return session.get(CdnPurgeCursor, _CURSOR)


def start_cursor(session: Session, now: datetime) -> None:
    """Purges start with the writes after this one (the CDN was filled from the data as it is)."""
    session.add(CdnPurgeCursor(id=_CURSOR, seq=current_change_seq(session), live_at=now))


def has_work(session: Session, now: datetime) -> bool:
    """Cheap read before a worker takes any write lock: a change not turned into purges
    yet (a write, a go-live) or a purge due."""
    found = cursor(session)
    if found is None or current_change_seq(session) > found.seq:
        return True
    live = select(Article.id).where(_went_live(found.live_at, now))
    due = select(CdnPurge.id).where(CdnPurge.state == DeliveryState.PENDING, _due(now))
    return session.scalar(live.limit(1)) is not None or session.scalar(due.limit(1)) is not None


def journal_from(session: Session, seq: int, limit: int) -> list[tuple[int, str]]:
    rows = session.execute(
        select(ChangeJournal.seq, ChangeJournal.keys)
        .where(ChangeJournal.seq >= seq)
        .order_by(ChangeJournal.seq)
        .limit(limit)
    )
    return [(row.seq, row.keys) for row in rows]


def _went_live(after: datetime, now: datetime) -> ColumnElement[bool]:
    """Public now, its time come in (after, now], and written before then: it became public
    with no write, so no journal row says so (one written later was in a write's keys)."""
    return (
        is_public(now)
        & (Article.published_at > after)
        & (Article.updated_at < Article.published_at)
    )


def went_live(session: Session, after: datetime, now: datetime) -> set[str]:
    """The keys (app.core.changes) of the articles that went live in (after, now]; past
    GO_LIVE_ROWS of them at once, everything (`*`)."""
    query = select(Article.id, Article.type).where(_went_live(after, now))
    rows = list(session.execute(query.limit(GO_LIVE_ROWS + 1)))
    if not rows:
        return set()
    if len(rows) > GO_LIVE_ROWS:
        return {changes.EVERYTHING}
    ids = [row.id for row in rows]
    slugs = session.scalars(
        select(ArticleTranslation.slug).where(ArticleTranslation.article_id.in_(ids))
    )
    return {
        *(changes.article(row.id) for row in rows),
        *(changes.listing_of(row.type) for row in rows),
        *(changes.slug(s) for s in slugs),
        *facet_keys(session, ids),
    }


def add_purges(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(CdnPurge), list(rows))


def _due(now: datetime) -> ColumnElement[bool]:
    free = CdnPurge.leased_until.is_(None) | (CdnPurge.leased_until <= now)
    return (CdnPurge.next_attempt_at <= now) & free


Claimed = Row[int, str, int]


def claim(session: Session, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Purges due now, leased to this worker. PostgreSQL: FOR UPDATE SKIP LOCKED, so
    workers in any process never take the same row."""
    query = (
        select(CdnPurge.id, CdnPurge.keys, CdnPurge.attempts)
        .where(CdnPurge.state == DeliveryState.PENDING, _due(now))
        .order_by(CdnPurge.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.execute(query))
    if rows:
        session.execute(
            update(CdnPurge)
            .where(CdnPurge.id.in_([row.id for row in rows]))
            .values(leased_until=lease_until)
            .execution_options(synchronize_session=False)
        )
    return rows


def record(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """The new state of purges (rows with `id`)."""
    if rows:
        session.execute(update(CdnPurge), list(rows))


def recent(session: Session, *, before: int | None, limit: int) -> list[CdnPurge]:
    query = select(CdnPurge).order_by(CdnPurge.id.desc()).limit(limit)
    if before is not None:
        query = query.where(CdnPurge.id < before)
    return list(session.scalars(query))


def get(session: Session, purge_id: int) -> CdnPurge | None:
    return session.get(CdnPurge, purge_id)


def prune(session: Session, before: datetime) -> None:
    """Forget purges finished before `before`."""
    session.execute(
        delete(CdnPurge).where(
            CdnPurge.state != DeliveryState.PENDING, CdnPurge.finished_at < before
        )
    )
