"""Stored public renderings: each article's JSON as the public endpoints send it.

Written with every change of an article (app.articles.fragments), so that a feed, search or
sync page joins stored bytes instead of building objects per item. A row stands for the
article only while its `seq` equals the article's `change_seq` and its `fingerprint` is the
running code's (schemas and the settings that shape the JSON): a stale row is never served,
only rendered again.
"""

import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class ArticleRendering(Base):
    """One translation of an article as a reader of `reader_lang` sees it (tag, source and
    author names in the reader's language). `listed`: the translation lists show that
    reader (theirs, else the original, else any)."""

    __tablename__ = "article_renderings"

    article_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    reader_lang: Mapped[str] = mapped_column(String(35), primary_key=True)
    lang: Mapped[str] = mapped_column(String(35), primary_key=True)
    listed: Mapped[bool] = mapped_column(Boolean)
    seq: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(32))
    item: Mapped[bytes] = mapped_column(LargeBinary)  # the list item, without `body`
    body: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: the public body, or null
    extra: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: the article page's other fields
