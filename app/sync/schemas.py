"""Delta sync on the wire."""

import uuid

from pydantic import BaseModel, Field

from app.articles.schemas import ArticleListItem
from app.core.schemas import Moment
from app.models import RemovalReason


class Removal(BaseModel):
    """An article the client must drop: it was public and is no longer."""

    id: uuid.UUID
    reason: RemovalReason
    removed_at: Moment


class SyncMeta(BaseModel):
    next_sync_token: str = Field(
        description="Send as `token` next time to get only what changed since this response."
    )
    has_more: bool = Field(
        description="More changes are waiting: call again with `next_sync_token` right away."
    )
    limit: int


class SyncPage(BaseModel):
    data: list[ArticleListItem] = Field(
        description="Articles created, changed, translated or gone live since the token, as "
        "they are now. Apply as upserts by `id` (an item may repeat; applying it twice is safe)."
    )
    deleted: list[Removal] = Field(
        description="Articles unpublished, archived, moved back to the future or deleted since "
        "the token: drop them. Never sent on a first sync."
    )
    meta: SyncMeta
