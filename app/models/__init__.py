"""Every table, re-exported so Alembic sees one registry."""

from app.models.access import ApiKey, KeyScope
from app.models.article import Article, ArticleStatus, ArticleTag, ArticleTranslation, Citation
from app.models.base import Base, utcnow
from app.models.sync import ArticleTombstone, RemovalReason, SyncState
from app.models.taxonomy import Source, SourceName, Tag, TagName
from app.models.webhooks import (
    DeliveryState,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

__all__ = [
    "ApiKey",
    "Article",
    "ArticleStatus",
    "ArticleTag",
    "ArticleTombstone",
    "ArticleTranslation",
    "Base",
    "Citation",
    "DeliveryState",
    "KeyScope",
    "RemovalReason",
    "Source",
    "SourceName",
    "SubscriptionStatus",
    "SyncState",
    "Tag",
    "TagName",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "utcnow",
]
