"""The change log that delta sync and response caches read.

One row holds a counter. Every write bumps it with UPDATE ... RETURNING inside its own
transaction; the row lock is held to commit, so change numbers are handed out in commit
order and a sync client that has seen N never misses a change numbered below N.
"""

import enum
import uuid
from datetime import datetime

from sqlalchemy import Integer, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, string_enum, utcnow


class SyncState(Base):
    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    # When `seq` last moved: what public responses give as Last-Modified. `onupdate`, so
    # every UPDATE of this row (however it bumps `seq`) sets it.
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ChangeJournal(Base):
    """What each write changed, for response caches: one row per move of `SyncState.seq`,
    written in the same transaction, with that move's `changed_at` (so a reader can tell
    that the history it learnt is the database's, not one restored under it) and the keys
    it changed, space-separated (app.core.changes). Old rows are pruned."""

    __tablename__ = "change_journal"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    keys: Mapped[str] = mapped_column(Text)


class RemovalReason(enum.StrEnum):
    """Why an article that was public is no longer: what a sync client is told."""

    UNPUBLISHED = "unpublished"
    ARCHIVED = "archived"
    SCHEDULED = "scheduled"  # moved back into the future
    DELETED = "deleted"


class ArticleTombstone(Base):
    """An article that was public and no longer is (unpublished, archived, moved back into
    the future, or deleted), kept so that offline caches learn to drop it. Only articles
    that were once public get one: a tombstone must not reveal that a draft existed. The
    row goes away when the article becomes public again."""

    __tablename__ = "article_tombstones"

    article_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    change_seq: Mapped[int] = mapped_column(Integer, index=True)
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # when it left public view
    reason: Mapped[RemovalReason] = mapped_column(
        string_enum(RemovalReason),
        default=RemovalReason.DELETED,
    )
