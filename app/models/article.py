"""Articles: a language-neutral record, its translations, ordered tags and source citations."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, string_enum, utcnow
from app.models.taxonomy import Author, Source, Tag


class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ArticleType(enum.StrEnum):
    ARTICLE = "article"
    PAGE = "page"  # a static page ("Про нас"): served at /v1/pages, never in article lists


class ArticleVisibility(enum.StrEnum):
    PUBLIC = "public"
    # Members-only, paid or password-protected at the origin: listed with its title and
    # excerpt, its body never served by a public endpoint.
    RESTRICTED = "restricted"


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        # The public feed: WHERE status = 'published' AND published_at <= now
        # ORDER BY published_at DESC, id DESC; keyset pagination walks this index.
        Index("ix_articles_feed", "status", "published_at", "id"),
        # The same walk for `?featured=true`: a few top stories among many articles.
        Index("ix_articles_featured_feed", "featured", "status", "published_at", "id"),
        # The sitemap index: public articles (or pages) by month with their newest change,
        # an index-only GROUP BY; it seeks past the other type, where the feed index cannot.
        Index("ix_articles_sitemap", "status", "type", "published_at", "updated_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    external_id: Mapped[str | None] = mapped_column(String(500), unique=True)
    original_lang: Mapped[str] = mapped_column(String(35))
    status: Mapped[ArticleStatus] = mapped_column(
        string_enum(ArticleStatus),
        default=ArticleStatus.DRAFT,
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    type: Mapped[ArticleType] = mapped_column(
        string_enum(ArticleType), default=ArticleType.ARTICLE, server_default="article"
    )
    visibility: Mapped[ArticleVisibility] = mapped_column(
        string_enum(ArticleVisibility),
        default=ArticleVisibility.PUBLIC,
        server_default="public",
    )
    canonical_url: Mapped[str | None] = mapped_column(String(2000))
    cover_url: Mapped[str | None] = mapped_column(String(2000))
    cover_width: Mapped[int | None] = mapped_column(Integer)
    cover_height: Mapped[int | None] = mapped_column(Integer)
    # The top-story slot ("головне"): `?featured=true` on the feed.
    featured: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    author_links: Mapped[list["ArticleAuthor"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ArticleAuthor.position"
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
    cover_alt: Mapped[str | None] = mapped_column(String(1000))
    cover_caption: Mapped[str | None] = mapped_column(String(2000))
    cover_credit: Mapped[str | None] = mapped_column(String(500))
    meta_title: Mapped[str | None] = mapped_column(String(300))
    meta_description: Mapped[str | None] = mapped_column(String(1000))
    og_image: Mapped[str | None] = mapped_column(String(2000))
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


class ArticleAuthor(Base):
    """An article's bylines in order: position 0 is the primary one."""

    __tablename__ = "article_authors"
    __table_args__ = (Index("ix_article_authors_author_id_article_id", "author_id", "article_id"),)

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    author_id: Mapped[int] = mapped_column(
        ForeignKey("authors.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)

    author: Mapped[Author] = relationship(lazy="raise")


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
