"""Every table, re-exported so Alembic sees one registry."""

from app.models.access import ApiKey, KeyScope, ServerSecret
from app.models.article import (
    Article,
    ArticleAuthor,
    ArticleStatus,
    ArticleTag,
    ArticleTranslation,
    ArticleType,
    ArticleVisibility,
    Citation,
)
from app.models.base import Base, utcnow
from app.models.cdn import CdnPurge, CdnPurgeCursor
from app.models.imports import ImportJob, ImportJobState
from app.models.rendering import ArticleRendering
from app.models.sync import ArticleTombstone, ChangeJournal, RemovalReason, SyncState
from app.models.taxonomy import Author, AuthorName, Source, SourceName, Tag, TagName
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
    "ArticleAuthor",
    "ArticleRendering",
    "ArticleStatus",
    "ArticleTag",
    "ArticleTombstone",
    "ArticleTranslation",
    "ArticleType",
    "ArticleVisibility",
    "Author",
    "AuthorName",
    "Base",
    "CdnPurge",
    "CdnPurgeCursor",
    "ChangeJournal",
    "Citation",
    "DeliveryState",
    "ImportJob",
    "ImportJobState",
    "KeyScope",
    "RemovalReason",
    "ServerSecret",
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
