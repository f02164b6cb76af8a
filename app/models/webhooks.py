"""Webhooks: subscriptions, the outbox of public-state events, deliveries and their attempts.

An event row is written in the same transaction as the change that causes it (editor
writes and imports), so a crash after the commit loses nothing; a worker turns events into
one delivery per matching subscription and sends them (app.webhooks).
"""

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, string_enum, utcnow

# 64-bit keys on PostgreSQL; SQLite's rowid alias must be declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class SubscriptionStatus(enum.StrEnum):
    ACTIVE = "active"
    FAILING = "failing"  # a delivery ran out of retries; new events are still sent


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # every try failed
    SKIPPED = "skipped"  # the article stopped being public before it could be sent


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Signing key, `whsec_` + base64: kept as is, since every delivery is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list[str]] = mapped_column(JSON)
    filters: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    status: Mapped[SubscriptionStatus] = mapped_column(
        string_enum(SubscriptionStatus), default=SubscriptionStatus.ACTIVE
    )
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEvent(Base):
    """The outbox: one row per change of public state, in commit order (`id`)."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        # A scheduled go-live is recorded once per (article, time), however often the
        # article is saved or rescheduled back to that time before it goes live.
        UniqueConstraint("article_id", "due_at"),
        Index("ix_webhook_events_pending", "dispatched_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    article_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reason: Mapped[str | None] = mapped_column(String(20))
    data_version: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A scheduled go-live: not sent before this time, and only if still due then.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Removals: the article's languages, tags (and slugs, if it was public) at the time,
    # for filters and URLs once the article is gone.
    facets: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payload: Mapped[str | None] = mapped_column(Text)  # the JSON body, rendered once


class WebhookDelivery(Base):
    """One event for one subscription: a message, sent (and retried) until it succeeds."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "subscription_id", "article_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)  # the webhook-id header
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_events.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state: Mapped[DeliveryState] = mapped_column(
        string_enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # tries since (re)queued
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Claimed by a worker until then (it is sending); a worker that died lets it lapse.
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
