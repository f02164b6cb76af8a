"""The change log that delta sync and response caches read.

One row holds a counter. Every write bumps it with UPDATE ... RETURNING inside its own
transaction; the row lock is held to commit, so change numbers are handed out in commit
order and a sync client that has seen N never misses a change numbered below N.
"""

import uuid
from datetime import datetime

from sqlalchemy import Integer, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime


class SyncState(Base):
    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)


class ArticleTombstone(Base):
    """A deleted article, kept so that offline caches learn to drop it."""

    __tablename__ = "article_tombstones"

    article_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    change_seq: Mapped[int] = mapped_column(Integer, index=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)
