"""API keys for editors and scripts. Only a hash of the secret is stored."""

import enum
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, string_enum, utcnow


class KeyScope(enum.StrEnum):
    """What a key may do; each scope includes the ones above it."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"  # also manages webhooks


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The first characters of the key, shown in listings so a human can tell keys apart.
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[KeyScope] = mapped_column(string_enum(KeyScope))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ServerSecret(Base):
    """Secrets the server makes for itself, shared by every worker and process: `token`
    (hex), the key that signs cursors and sync tokens, made by the migration that added
    this table (unless TOKEN_SECRET is set, which then wins)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
