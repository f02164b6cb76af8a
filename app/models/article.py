"""Articles: a language-neutral record, its translations, ordered tags and source citations."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.taxonomy import Source, Tag


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        # The public feed: WHERE status = 'published' AND published_at <= now
        # ORDER BY published_at DESC, id DESC; keyset pagination walks this index.
        Index("ix_articles_feed", "status", "published_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    external_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    original_lang: Mapped[str] = mapped_column(String(35))
    status: Mapped[ArticleStatus] = mapped_column(
        string_enum(ArticleStatus),
        default=ArticleStatus.DRAFT,
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cover_image_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every change; the ETag / If-Match token for optimistic concurrency.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Position in the change log (see SyncState): what a sync client has seen.
    change_seq: Mapped[int] = mapped_column(Integer, default=0, index=True)
    # SHA-256 of the canonical import line this article was last written from; any other
    # write clears it. A re-import compares hashes instead of whole articles.
    import_hash: Mapped[str | None] = mapped_column(String(64))

    translations: Mapped[list["ArticleTranslation"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="ArticleTranslation.lang",
        back_populates="article",
    )
    tag_links: Mapped[list["ArticleTag"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ArticleTag.position"
    )
    citations: Mapped[list["Citation"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="Citation.position",
        foreign_keys="Citation.article_id",
    )


class ArticleTranslation(Base):
    __tablename__ = "article_translations"
    __table_args__ = (
        UniqueConstraint("article_id", "lang"),
        UniqueConstraint("lang", "slug"),
        Index("ix_article_translations_slug", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    lang: Mapped[str] = mapped_column(String(35))
    title: Mapped[str] = mapped_column(String(1000))
    slug: Mapped[str] = mapped_column(String(200))
    excerpt: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What search indexes of each field: its distinct lemmas (app.search.analysis), computed
    # by every write path; the database indexes them (migration c4e1d2a9b7f3). Never read
    # with the translation: loading one raises.
    lemmas_title: Mapped[str] = mapped_column(
        Text, default="", server_default="", deferred=True, deferred_raiseload=True
    )
    lemmas_excerpt: Mapped[str] = mapped_column(
        Text, default="", server_default="", deferred=True, deferred_raiseload=True
    )
    lemmas_body: Mapped[str] = mapped_column(
        Text, default="", server_default="", deferred=True, deferred_raiseload=True
    )

    article: Mapped[Article] = relationship(lazy="raise", back_populates="translations")


class ArticleTag(Base):
    __tablename__ = "article_tags"
    __table_args__ = (Index("ix_article_tags_tag_id_article_id", "tag_id", "article_id"),)

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    tag: Mapped[Tag] = relationship(lazy="raise")


class Citation(Base):
    __tablename__ = "citations"
    __table_args__ = (
        UniqueConstraint("article_id", "position"),
        Index("ix_citations_source_id_article_id", "source_id", "article_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(2000))
    # "ISW, citing TV Chosun": the citation this one reached us through.
    via_id: Mapped[int | None] = mapped_column(ForeignKey("citations.id", ondelete="SET NULL"))

    source: Mapped[Source] = relationship(lazy="raise")
