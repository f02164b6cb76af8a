"""Tags (sections) and sources (cited outlets): language-neutral slugs, names per language."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, utcnow


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    # "section" (a WordPress category, a front page's section) or "topic" (a plain tag).
    kind: Mapped[str] = mapped_column(String(20), default="topic", server_default="topic")
    # The section it is under (a WordPress category's parent): "News" under Sport and
    # "News" under Politics are two tags, each with its parent. (Tags are never deleted.)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    names: Mapped[list["TagName"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="TagName.lang"
    )
    parent: Mapped["Tag | None"] = relationship(remote_side=[id], lazy="raise")


class TagName(Base):
    __tablename__ = "tag_names"

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    homepage_url: Mapped[str | None] = mapped_column(String(2000))
    kind: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    names: Mapped[list["SourceName"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="SourceName.lang"
    )


class SourceName(Base):
    __tablename__ = "source_names"

    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Author(Base):
    """A byline: names and bios per language, like a tag's names."""

    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    photo_url: Mapped[str | None] = mapped_column(String(2000))
    links: Mapped[list[str]] = mapped_column(JSON, default=list)  # profile URLs
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    names: Mapped[list["AuthorName"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="AuthorName.lang"
    )


class AuthorName(Base):
    __tablename__ = "author_names"

    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True
    )
    lang: Mapped[str] = mapped_column(String(35), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    bio: Mapped[str] = mapped_column(Text, default="")
