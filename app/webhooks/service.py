"""Webhook rules: subscriptions, turning outbox events into deliveries, sending them.

Services never commit; the worker (app.webhooks.worker) runs each step in its own unit of
work, so a step that dies leaves the database as it was before it.
"""

import random
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from app.articles.rendering import Locale, list_items
from app.articles.repository import current_change_seq
from app.core.config import Settings
from app.core.db import unit_of_work
from app.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from app.core.pagination import (
    cursor_count,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    scope_of,
)
from app.core.schemas import PageMeta, json_bytes
from app.core.tokens import TokenSigner
from app.models import (
    DeliveryState,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
    utcnow,
)
from app.webhooks import delivery
from app.webhooks import repository as repo
from app.webhooks.events import EVENT_TYPES, PING, carries_content
from app.webhooks.schemas import (
    AttemptRead,
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookFilters,
    WebhookPage,
    WebhookRead,
)

if TYPE_CHECKING:
    from app.core import outbound

DISPATCH_BATCH = 500
LEASE_MARGIN_SECONDS = 5.0
_LIST_SCOPE = scope_of(kind="webhooks")


# ---- subscriptions ------------------------------------------------------------------


def create(session: Session, settings: Settings, data: WebhookCreate) -> WebhookCreated:
    problem = delivery.target_problem(data.url, allow_private=settings.webhooks_allow_private)
    if problem is not None:
        raise ValidationFailed(
            "Invalid value for: url", errors=[FieldError(field="url", message=problem)]
        )
    subscription = WebhookSubscription(
        url=data.url,
        description=data.description,
        secret=delivery.new_secret(),
        events=list(dict.fromkeys(data.events)) or list(EVENT_TYPES),
        filters=data.filters.model_dump(),
        status=SubscriptionStatus.ACTIVE,
        created_at=utcnow(),
    )
    session.add(subscription)
    session.flush()
    return WebhookCreated(**read(subscription).model_dump(), secret=subscription.secret)


def read(subscription: WebhookSubscription) -> WebhookRead:
    return WebhookRead(
        id=subscription.id,
        url=subscription.url,
        description=subscription.description,
        events=subscription.events,
        filters=WebhookFilters.model_validate(subscription.filters),
        status=subscription.status,
        failing_since=subscription.failing_since,
        created_at=subscription.created_at,
    )


def get(session: Session, subscription_id: int) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"No webhook with id {subscription_id}.")
    return subscription


def remove(session: Session, subscription_id: int) -> None:
    session.delete(get(session, subscription_id))
    session.flush()


def list_page(
    session: Session, *, cursor: str | None, limit: int, signer: TokenSigner
) -> WebhookPage:
    after = cursor_id(signer, cursor, _LIST_SCOPE)
    rows = repo.subscriptions_page(session, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(signer, _LIST_SCOPE, [rows[-1].id]) if more else None
    return WebhookPage(
        data=[read(s) for s in rows], meta=PageMeta(next_cursor=next_cursor, limit=limit)
    )


def cursor_id(signer: TokenSigner, cursor: str | None, scope: str) -> int | None:
    if cursor is None:
        return None
    (value,) = decode_cursor(signer, cursor, scope, 1)
    try:
        return cursor_count(value)  # range-checked before it reaches SQL
    except ValueError as exc:
        raise invalid_cursor() from exc


# ---- observability ------------------------------------------------------------------


def deliveries(
    session: Session,
    subscription_id: int,
    *,
    cursor: str | None,
    limit: int,
    signer: TokenSigner,
) -> DeliveryPage:
    get(session, subscription_id)
    scope = scope_of(kind="webhook-deliveries", subscription=subscription_id)
    before = cursor_id(signer, cursor, scope)
    rows = repo.deliveries_page(session, subscription_id, before=before, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return DeliveryPage(
        data=_delivery_reads(session, rows),
        meta=PageMeta(
            next_cursor=encode_cursor(signer, scope, [rows[-1].id]) if more else None,
            limit=limit,
        ),
    )


def _delivery_reads(session: Session, rows: Sequence[WebhookDelivery]) -> list[DeliveryRead]:
    events = repo.events_of(session, {d.event_id for d in rows})
    attempts = repo.attempts_of(session, [d.id for d in rows])
    return [
        DeliveryRead(
            id=d.id,
            message_id=d.message_id,
            event_type=events[d.event_id].type,
            article_id=d.article_id,
            state=d.state,
            next_attempt_at=d.next_attempt_at if d.state == DeliveryState.PENDING else None,
            created_at=d.created_at,
            finished_at=d.finished_at,
            attempts=[
                AttemptRead(
                    attempted_at=a.attempted_at,
                    status_code=a.status_code,
                    duration_ms=a.duration_ms,
                    error=a.error,
                )
                for a in attempts[d.id]
            ],
        )
        for d in rows
    ]


def redeliver(session: Session, subscription_id: int, delivery_id: int) -> DeliveryRead:
    """Queue a delivery again (same message id and body), to be sent at once."""
    get(session, subscription_id)
    found = repo.delivery_of(session, subscription_id, delivery_id)
    if found is None:
        raise NotFound(f"Webhook {subscription_id} has no delivery {delivery_id}.")
    now = utcnow()
    if found.state == DeliveryState.PENDING and found.leased_until and found.leased_until > now:
        raise Conflict("This delivery is being sent right now; try again in a moment.")
    event = repo.events_of(session, [found.event_id])[found.event_id]
    if (
        carries_content(event.type)
        and event.article_id is not None
        and not repo.public_now(session, [event.article_id], now)
    ):
        raise Conflict("The article is no longer public, so its content is not sent again.")
    found.state = DeliveryState.PENDING
    found.attempts = 0
    found.next_attempt_at = now
    found.leased_until = None
    found.finished_at = None
    session.flush()
    return _delivery_reads(session, [found])[0]


def ping(session: Session, subscription_id: int) -> DeliveryRead:
    """A `webhook.ping` message for one subscription, queued to be sent at once."""
    subscription = get(session, subscription_id)
    now = utcnow()
    body = _body(PING, now, {"webhook_id": subscription.id})
    event = WebhookEvent(
        type=PING,
        data_version=current_change_seq(session),
        occurred_at=now,
        dispatched_at=now,
        payload=body,
    )
    session.add(event)
    session.flush()
    queued = WebhookDelivery(**_delivery_row(subscription.id, event.id, None, now))
    session.add(queued)
    session.flush()
    return _delivery_reads(session, [queued])[0]


# ---- dispatch: outbox events into deliveries -----------------------------------------


@dataclass
class _Article:
    versions: dict[str, dict[str, Any]]  # language -> the public list item
    facets: dict[str, Any]


def dispatch(session: Session, settings: Settings, now: datetime) -> int:
    """Turn due outbox events into one delivery per subscription that wants them; returns
    how many events were handled. Content events whose article is not public any more
    (or whose scheduled time moved) are dropped: a later event says what happened."""
    if not repo.take_dispatch_lock(session):
        return 0
    events = repo.pending_events(session, now, DISPATCH_BATCH)
    if not events:
        return 0
    subscriptions = repo.all_subscriptions(session)
    if not subscriptions:
        # Nobody to send them to: dropped unread (an import's events would otherwise each
        # render its article, in the importing process, for nothing).
        repo.finish_dispatch(session, [], [e.id for e in events], [], now)
        return len(events)
    live = repo.public_now(
        session, {e.article_id for e in events if carries_content(e.type) and e.article_id}, now
    )
    articles = render(session, settings, list(live), now)
    version_now: int | None = None
    sent: list[tuple[int, str]] = []
    dropped: list[int] = []
    rows: list[dict[str, Any]] = []
    for event in events:
        assert event.article_id is not None
        if carries_content(event.type):
            article = articles.get(event.article_id)
            if article is None or (
                event.due_at is not None and live[event.article_id] != event.due_at
            ):
                dropped.append(event.id)
                continue
            if event.due_at is not None:  # gone live by the clock: no write, no new version
                version_now = version_now or current_change_seq(session)
            facets = article.facets
            data: dict[str, Any] = {
                "id": str(event.article_id),
                "data_version": version_now if event.due_at is not None else event.data_version,
                "article": article.versions,
                "urls": _urls(article),
            }
        else:
            facets = event.facets or {}
            data = {
                "id": str(event.article_id),
                "data_version": event.data_version,
                "reason": event.reason,
                "removed_at": event.occurred_at,
                "urls": {
                    lang: _url(settings, lang, slug)
                    for lang, slug in sorted(facets.get("slugs", {}).items())
                },
            }
        targets = [s for s in subscriptions if wants(s, event, facets)]
        if not targets:
            dropped.append(event.id)
            continue
        sent.append((event.id, _body(event.type, event.occurred_at, data)))
        rows += [_delivery_row(s.id, event.id, event.article_id, now) for s in targets]
    repo.finish_dispatch(session, sent, dropped, rows, now)
    return len(events)


def _urls(article: _Article) -> dict[str, str]:
    first = next(iter(article.versions.values()))
    return {ref["lang"]: ref["url"] for ref in first["translations"]}


def _url(settings: Settings, lang: str, slug: str) -> str:
    return Locale(lang, settings.default_lang, settings.frontend_url_template, utcnow()).url(
        lang, slug
    )


def _body(type_: str, at: datetime, data: dict[str, Any]) -> str:
    return json_bytes({"type": type_, "timestamp": at, "data": data}).decode()


def _delivery_row(
    subscription_id: int, event_id: int, article_id: uuid.UUID | None, now: datetime
) -> dict[str, Any]:
    return {
        "message_id": f"msg_{uuid.uuid4().hex}",
        "subscription_id": subscription_id,
        "event_id": event_id,
        "article_id": article_id,
        "state": DeliveryState.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def wants(subscription: WebhookSubscription, event: WebhookEvent, facets: dict[str, Any]) -> bool:
    """Whether a subscription gets an event: its type, after the subscription began, and
    every filter given matched (each by any of its values)."""
    if event.type not in subscription.events or event.occurred_at < subscription.created_at:
        return False
    filters = subscription.filters
    checks = (
        ("languages", facets.get("langs", [])),
        ("tags", facets.get("tags", [])),
        ("sections", [facets["section"]] if facets.get("section") else []),
        ("authors", facets.get("authors", [])),
    )
    return all(not filters.get(name) or set(filters[name]) & set(values) for name, values in checks)


def render(
    session: Session, settings: Settings, ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, _Article]:
    """Public articles as the API lists them, in every language each exists in."""
    if not ids:
        return {}

    def locale(lang: str) -> Locale:
        return Locale(lang, settings.default_lang, settings.frontend_url_template, now)

    first = list_items(session, ids, locale(settings.default_lang), with_body=False)
    articles: dict[uuid.UUID, _Article] = {}
    langs: dict[uuid.UUID, list[str]] = {}
    for item in first:
        langs[item.id] = [t.lang for t in item.translations]
        articles[item.id] = _Article(
            versions={item.lang: _item(item)},
            facets={
                "langs": langs[item.id],
                "tags": [t.slug for t in item.tags],
                "section": item.primary_tag.slug if item.primary_tag else None,
            },
        )
    for lang in sorted({lang for found in langs.values() for lang in found}):
        need = [
            i for i, found in langs.items() if lang in found and lang not in articles[i].versions
        ]
        for item in list_items(session, need, locale(lang), with_body=False) if need else []:
            articles[item.id].versions[item.lang] = _item(item)
    for article in articles.values():
        article.versions = dict(sorted(article.versions.items()))
    return articles


def _item(item: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = item.model_dump(mode="json", exclude={"body", "structured_data"})
    return dumped


# ---- delivery -----------------------------------------------------------------------


def lease_seconds(settings: Settings) -> float:
    """How long a claimed delivery is this worker's: longer than a send may last (its
    deadline) with room to record it; renewed while the send runs (renew)."""
    return settings.webhooks_timeout_seconds * 2 + LEASE_MARGIN_SECONDS


def claim(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    limit: int,
    busy: Mapping[int, int],
    only: int | None = None,
) -> list[repo.Claimed]:
    """Lease what is due (or the delivery `only`) for sending, at most `limit`, within each
    subscription's share (`busy`: subscription id -> sends in flight); content events
    whose article is no longer public are skipped, not sent."""
    now = utcnow()
    lease = now + timedelta(seconds=lease_seconds(settings))
    with unit_of_work(sessions) as session:
        claimed = repo.claim(
            session,
            now,
            lease,
            limit,
            per_target=settings.webhooks_concurrency_per_target,
            busy=busy,
            only=only,
        )
        content = {r.article_id for r in claimed if carries_content(r.type) and r.article_id}
        live = repo.public_now(session, content, now)
        stale = {r.id for r in claimed if carries_content(r.type) and r.article_id not in live}
        repo.skip(session, list(stale), now)
    return [r for r in claimed if r.id not in stale]


def renew(sessions: sessionmaker[Session], settings: Settings, ids: Collection[int]) -> None:
    now = utcnow()
    with unit_of_work(sessions) as session:
        repo.renew_leases(session, ids, now, now + timedelta(seconds=lease_seconds(settings)))


def send(guard: "outbound.Guard", settings: Settings, row: repo.Claimed) -> delivery.Outcome:
    return delivery.send(
        guard,
        row.url,
        row.secret,
        row.message_id,
        row.payload.encode(),
        deadline_seconds=settings.webhooks_timeout_seconds,
        max_response_bytes=settings.webhooks_max_response_bytes,
    )


def record(
    sessions: sessionmaker[Session],
    settings: Settings,
    results: Sequence[tuple[repo.Claimed, delivery.Outcome]],
) -> None:
    if results:
        with unit_of_work(sessions) as session:
            _record(session, settings, results)


def _record(
    session: Session,
    settings: Settings,
    results: Sequence[tuple[repo.Claimed, delivery.Outcome]],
) -> None:
    """Each try as an attempt; the delivery done, due again after the backoff, or failed
    (and its subscription failing) once the schedule is used up."""
    now = utcnow()
    schedule = settings.webhooks_retry_schedule
    attempts: list[dict[str, Any]] = []
    states: list[dict[str, Any]] = []
    succeeded: set[int] = set()
    exhausted: set[int] = set()
    for row, outcome in results:
        tries = row.attempts + 1
        next_attempt_at = None
        if outcome.ok:
            state = DeliveryState.DELIVERED
            succeeded.add(row.subscription_id)
        elif tries <= len(schedule) and row.type != PING:
            state = DeliveryState.PENDING
            next_attempt_at = now + timedelta(seconds=backoff(schedule, tries, settings))
        else:
            state = DeliveryState.FAILED
            if row.type != PING:
                exhausted.add(row.subscription_id)
        attempts.append(
            {
                "delivery_id": row.id,
                "attempted_at": now,
                "status_code": outcome.status_code,
                "duration_ms": outcome.duration_ms,
                "error": outcome.error,
            }
        )
        states.append(
            {
                "id": row.id,
                "state": state,
                "attempts": tries,
                "next_attempt_at": next_attempt_at,
                "leased_until": None,
                "finished_at": now if state != DeliveryState.PENDING else None,
            }
        )
    repo.record_attempts(session, attempts, states)
    repo.set_subscription_status(session, succeeded - exhausted, SubscriptionStatus.ACTIVE, now)
    repo.set_subscription_status(session, exhausted, SubscriptionStatus.FAILING, now)


def backoff(schedule: Sequence[float], failures: int, settings: Settings) -> float:
    """The delay after the `failures`-th failed try: the schedule's, give or take jitter."""
    jitter = settings.webhooks_retry_jitter
    return schedule[failures - 1] * random.uniform(1 - jitter, 1 + jitter)  # noqa: S311
