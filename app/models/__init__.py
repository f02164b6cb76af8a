"""Every table, re-exported so Alembic sees one registry."""

from app.models.access import ApiKey, KeyScope, ServerSecret
from app.models.article import (
    Article,
    ArticleStatus,
    ArticleTag,
    ArticleTranslation,
    ArticleType,
    ArticleVisibility,
    Citation,
)
from app.models.base import Base, utcnow
from app.models.sync import ArticleTombstone, RemovalReason, SyncState
from app.models.taxonomy import Source, SourceName, Tag, TagName

__all__ = [
    "ApiKey",
    "Article",
    "ArticleStatus",
    "ArticleTag",
    "ArticleTombstone",
    "ArticleTranslation",
    "ArticleType",
    "ArticleVisibility",
    "Base",
    "Citation",
    "KeyScope",
    "RemovalReason",
    "ServerSecret",
    "Source",
    "SourceName",
    "SyncState",
    "Tag",
    "TagName",
    "utcnow",
]
