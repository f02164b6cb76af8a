"""CDN purges: the outbox of keys to purge, and how far the change journal was read.

A purge worker (app.cdn) reads the change journal (and the scheduled go-lives, which
change public data with no write) past `CdnPurgeCursor`, and turns what it read into purge
rows in the same transaction that moves the cursor: so each change is queued exactly once,
whichever process reads it, and nothing is lost to a crash after a write commits.
"""

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.webhooks import BigId, DeliveryState


class CdnPurgeCursor(Base):
    """One row: the last journal row turned into purges, and the time up to which scheduled
    go-lives were."""

    __tablename__ = "cdn_purge_cursor"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    live_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CdnPurge(Base):
    """One purge request: up to CDN_PURGE_BATCH keys (as the CDN knows them), sent until it
    succeeds. `state` is a delivery's (pending, delivered, failed)."""

    __tablename__ = "cdn_purges"
    __table_args__ = (Index("ix_cdn_purges_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    keys: Mapped[str] = mapped_column(Text)  # space-separated
    reason: Mapped[str] = mapped_column(String(20))  # writes | go-live | resend
    first_seq: Mapped[int | None] = mapped_column(BigInteger)  # the journal rows it came from
    last_seq: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[DeliveryState] = mapped_column(
        string_enum(DeliveryState), default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
