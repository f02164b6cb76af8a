"""All SQL of webhooks: the outbox, subscriptions, deliveries and attempts."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, delete, exists, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from app.articles.repository import is_public
from app.imports.repository import bulk_insert
from app.models import (
    Article,
    DeliveryState,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

# Any constant will do: the key of the PostgreSQL advisory lock one dispatcher holds.
_DISPATCH_LOCK = 0x0D0F5_7EB


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# ---- the outbox, written with the change --------------------------------------------


def add_events(
    session: Session, rows: Sequence[dict[str, Any]], due: Sequence[dict[str, Any]]
) -> None:
    """Events of a write (one multi-row insert: COPY on PostgreSQL), and scheduled
    go-lives, each (article, time) once."""
    if rows:
        if len(rows) == 1:
            session.execute(insert(WebhookEvent), list(rows))
        else:
            bulk_insert(session, WebhookEvent, rows)
    if due:
        table = WebhookEvent.__table__
        assert isinstance(table, Table)
        dialect_insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
        session.execute(
            dialect_insert(table).on_conflict_do_nothing(index_elements=["article_id", "due_at"]),
            list(due),
        )


# ---- subscriptions ------------------------------------------------------------------


def subscriptions_page(
    session: Session, *, after: int | None, limit: int
) -> list[WebhookSubscription]:
    query = select(WebhookSubscription).order_by(WebhookSubscription.id).limit(limit)
    if after is not None:
        query = query.where(WebhookSubscription.id > after)
    return list(session.scalars(query))


def all_subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


# ---- dispatch: events into deliveries -----------------------------------------------


def take_dispatch_lock(session: Session, key: int = _DISPATCH_LOCK) -> bool:
    """One dispatcher at a time, so deliveries are numbered in event order. PostgreSQL: a
    transaction-scoped advisory lock, skipped if taken; SQLite: the write lock (BEGIN
    IMMEDIATE) already serializes."""
    if _dialect(session) != "postgresql":
        return True
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}))


def pending_events(session: Session, now: datetime, limit: int) -> list[WebhookEvent]:
    due = WebhookEvent.due_at.is_(None) | (WebhookEvent.due_at <= now)
    return list(
        session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.dispatched_at.is_(None), due)
            .order_by(WebhookEvent.id)
            .limit(limit)
        )
    )


def has_pending_work(session: Session, now: datetime) -> bool:
    """Cheap read before a worker takes any write lock."""
    due = WebhookEvent.due_at.is_(None) | (WebhookEvent.due_at <= now)
    event = select(WebhookEvent.id).where(WebhookEvent.dispatched_at.is_(None), due).limit(1)
    delivery = (
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            _lease_free(now),
        )
        .limit(1)
    )
    return session.scalar(event) is not None or session.scalar(delivery) is not None


def public_now(
    session: Session, ids: Collection[uuid.UUID], now: datetime
) -> dict[uuid.UUID, datetime | None]:
    """published_at of those of `ids` that are public now."""
    if not ids:
        return {}
    rows = session.execute(
        select(Article.id, Article.published_at).where(Article.id.in_(ids), is_public(now))
    )
    return {row.id: row.published_at for row in rows}


def finish_dispatch(
    session: Session,
    sent: Sequence[tuple[int, str]],
    dropped: Sequence[int],
    deliveries: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """Mark events dispatched with their payloads, forget those nobody gets, queue deliveries."""
    if sent:
        session.execute(
            update(WebhookEvent),
            [{"id": id_, "payload": body, "dispatched_at": now} for id_, body in sent],
        )
    if dropped:
        session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(dropped)))
    if deliveries:
        session.execute(insert(WebhookDelivery), list(deliveries))


# ---- deliveries ---------------------------------------------------------------------

Claimed = Row[int, str, int, uuid.UUID | None, int, str, str, str, str]
# Rows read per free slot, so subscriptions at their limit do not hide the others' work.
_CANDIDATES_PER_SLOT = 8


def claim(
    session: Session,
    now: datetime,
    lease_until: datetime,
    limit: int,
    *,
    per_target: int,
    busy: Mapping[int, int],
    only: int | None = None,
) -> list[Claimed]:
    """Deliveries due now, at most one per (subscription, article) and never one while an
    earlier one for the same pair waits (order per article), leased to this worker; at most
    `per_target` per subscription counting those this worker is still sending (`busy`:
    subscription id -> sends in flight), so one slow receiver holds only its own share.
    PostgreSQL: FOR UPDATE SKIP LOCKED, so workers in any process never take the same row."""
    earlier = aliased(WebhookDelivery)
    waiting_before = exists().where(
        earlier.subscription_id == WebhookDelivery.subscription_id,
        earlier.article_id == WebhookDelivery.article_id,
        earlier.state == DeliveryState.PENDING,
        earlier.id < WebhookDelivery.id,
    )
    free = _lease_free(now)
    full = [sub for sub, count in busy.items() if count >= per_target]
    query = (
        select(WebhookDelivery.id, WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.state == DeliveryState.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            free,
            ~waiting_before,
            WebhookDelivery.subscription_id.not_in(full),
        )
        .order_by(WebhookDelivery.id)
        .limit(limit * _CANDIDATES_PER_SLOT)
    )
    if only is not None:
        query = query.where(WebhookDelivery.id == only)
    if _dialect(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    taken = dict(busy)
    ids: list[int] = []
    for id_, subscription_id in session.execute(query):  # the rest stay free
        if len(ids) < limit and taken.get(subscription_id, 0) < per_target:
            taken[subscription_id] = taken.get(subscription_id, 0) + 1
            ids.append(id_)
    if not ids:
        return []
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .values(leased_until=lease_until)
        .execution_options(synchronize_session=False)
    )
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.message_id,
            WebhookDelivery.attempts,
            WebhookDelivery.article_id,
            WebhookSubscription.id.label("subscription_id"),
            WebhookSubscription.url,
            WebhookSubscription.secret,
            WebhookEvent.type,
            WebhookEvent.payload,
        )
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id.in_(ids))
        .order_by(WebhookDelivery.id)
    )
    return list(rows)  # type: ignore[arg-type]


def renew_leases(
    session: Session, ids: Collection[int], now: datetime, lease_until: datetime
) -> None:
    """Extend the leases of deliveries still being sent, those not lapsed only: a lapsed
    one may be another worker's now."""
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.leased_until > now)
            .values(leased_until=lease_until)
            .execution_options(synchronize_session=False)
        )


def _lease_free(now: datetime) -> ColumnElement[bool]:
    """Not being sent: never leased, or the lease lapsed."""
    return WebhookDelivery.leased_until.is_(None) | (WebhookDelivery.leased_until <= now)


def skip(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids))
            .values(state=DeliveryState.SKIPPED, finished_at=now, leased_until=None)
            .execution_options(synchronize_session=False)
        )


def record_attempts(
    session: Session, attempts: Sequence[dict[str, Any]], deliveries: Sequence[dict[str, Any]]
) -> None:
    """Attempts (rows of WebhookAttempt) and the new state of their deliveries (rows with
    `id`), a statement each for the whole round; deliveries removed meanwhile (with their
    subscription) are left out."""
    ids = [row["id"] for row in deliveries]
    kept = set(session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.id.in_(ids))))
    attempts = [row for row in attempts if row["delivery_id"] in kept]
    deliveries = [row for row in deliveries if row["id"] in kept]
    if attempts:
        session.execute(insert(WebhookAttempt), list(attempts))
    if deliveries:
        session.execute(update(WebhookDelivery), list(deliveries))


def set_subscription_status(
    session: Session, subscription_ids: Collection[int], status: SubscriptionStatus, now: datetime
) -> None:
    """Mark subscriptions failing (from now) or active again; a no-op for those already so."""
    if not subscription_ids:
        return
    failing = WebhookSubscription.status == SubscriptionStatus.FAILING
    active = status == SubscriptionStatus.ACTIVE
    session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id.in_(subscription_ids), failing if active else ~failing)
        .values(status=status, failing_since=None if active else now)
        .execution_options(synchronize_session=False)
    )


def deliveries_page(
    session: Session, subscription_id: int, *, before: int | None, limit: int
) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(WebhookDelivery.id < before)
    return list(session.scalars(query))


def events_of(session: Session, ids: Collection[int]) -> dict[int, WebhookEvent]:
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(select(WebhookEvent).where(WebhookEvent.id.in_(ids)))}


def attempts_of(session: Session, delivery_ids: Collection[int]) -> dict[int, list[WebhookAttempt]]:
    grouped: dict[int, list[WebhookAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        rows = session.scalars(
            select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(delivery_ids))
            .order_by(WebhookAttempt.id)
        )
        for row in rows:
            grouped[row.delivery_id].append(row)
    return grouped


def delivery_of(session: Session, subscription_id: int, delivery_id: int) -> WebhookDelivery | None:
    return session.scalar(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.subscription_id == subscription_id
        )
        .with_for_update()
    )


def prune(session: Session, before: datetime) -> None:
    """Forget deliveries finished before `before` (their attempts go with them) and the
    events left with no delivery."""
    session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.state != DeliveryState.PENDING, WebhookDelivery.finished_at < before
        )
    )
    session.execute(
        delete(WebhookEvent).where(
            WebhookEvent.dispatched_at < before,
            ~exists().where(WebhookDelivery.event_id == WebhookEvent.id),
        )
    )
