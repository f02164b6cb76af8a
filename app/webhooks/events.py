"""What webhooks announce, and the outbox rows that record it inside the writing transaction.

The events mean what delta sync means (app.sync): `published` when an article becomes
public (a write, or its scheduled time coming), `updated` when a public article or one of
its translations changes, `unpublished` when a public one stops being public (with the
reason its sync tombstone gives), `deleted` when one that was ever public is deleted. A
draft that is never public produces nothing.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.articles.rules import removal_reason
from app.models import ArticleStatus, RemovalReason

PUBLISHED = "published"
UPDATED = "updated"
UNPUBLISHED = "unpublished"
DELETED = "deleted"
ACTIONS = (PUBLISHED, UPDATED, UNPUBLISHED, DELETED)
CONTENT_TYPES = ("article", "page")
PING = "webhook.ping"


def event_type(action: str, content_type: str | None = None) -> str:
    """The one place event names are made: `article.published`, `page.deleted`...
    `content_type` is the article's type once articles carry one (`page`); else `article`."""
    return f"{'page' if content_type == 'page' else 'article'}.{action}"


EVENT_TYPES = tuple(event_type(action, kind) for kind in CONTENT_TYPES for action in ACTIONS)


def action_of(type_: str) -> str:
    return type_.rpartition(".")[2]


def carries_content(type_: str) -> bool:
    """Events whose payload is the public article (the others say only that it left)."""
    return action_of(type_) in (PUBLISHED, UPDATED)


@dataclass(frozen=True)
class Change:
    """One article write as webhooks see it: visibility before and after."""

    article_id: uuid.UUID
    seq: int
    was_public: bool
    public: bool
    status: ArticleStatus
    published_at: datetime | None
    content_type: str | None = None


def rows_for(
    changes: Sequence[Change], now: datetime, facets: dict[uuid.UUID, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Outbox rows for a batch of writes: (events now, scheduled go-lives). `facets` holds,
    for articles that stop being public, their languages, tags and slugs (see Facets)."""
    now_rows: list[dict[str, Any]] = []
    due_rows: list[dict[str, Any]] = []
    for change in changes:
        action = _action(change)
        if action is not None:
            reason = _reason(change.status) if action == UNPUBLISHED else None
            now_rows.append(
                _row(change, action, now, reason=reason, facets=facets.get(change.article_id))
            )
        if is_scheduled(change.status, change.published_at, now):
            assert change.published_at is not None
            due_rows.append(_row(change, PUBLISHED, change.published_at, due=True))
    return now_rows, due_rows


def deletion_row(
    article_id: uuid.UUID, seq: int, now: datetime, facets: dict[str, Any], content_type: str | None
) -> dict[str, Any]:
    change = Change(article_id, seq, True, False, ArticleStatus.DRAFT, None, content_type)
    return _row(change, DELETED, now, reason=str(RemovalReason.DELETED), facets=facets)


def is_scheduled(status: ArticleStatus, published_at: datetime | None, now: datetime) -> bool:
    return status == ArticleStatus.PUBLISHED and published_at is not None and published_at > now


def facets(
    langs_slugs: Sequence[tuple[str, str]], tags: Sequence[str], *, with_slugs: bool
) -> dict[str, Any]:
    """What filters and URLs need of an article that is leaving public view. Slugs (for
    URLs) only of an article that was public right before: a draft's never leak."""
    result: dict[str, Any] = {"langs": sorted(lang for lang, _ in langs_slugs), "tags": list(tags)}
    if with_slugs:
        result["slugs"] = dict(langs_slugs)
    return result


def _action(change: Change) -> str | None:
    if change.public:
        return UPDATED if change.was_public else PUBLISHED
    return UNPUBLISHED if change.was_public else None


def _reason(status: ArticleStatus) -> str:
    return str(removal_reason(status))  # what the sync tombstone says


def _row(
    change: Change,
    action: str,
    at: datetime,
    *,
    reason: str | None = None,
    facets: dict[str, Any] | None = None,
    due: bool = False,
) -> dict[str, Any]:
    return {
        "type": event_type(action, change.content_type),
        "article_id": change.article_id,
        "reason": reason,
        "data_version": change.seq,
        "occurred_at": at,
        "due_at": at if due else None,
        "facets": facets,
    }
