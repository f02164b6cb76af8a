"""Public reads: the fresh-posts feed and article pages, in the reader's language, from
the stored renderings (app.articles.fragments)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pydantic_core
from sqlalchemy.orm import Session

from app.articles import fragments
from app.articles import repository as repo
from app.articles.fragments import StoredItem
from app.articles.rendering import Bundle, Locale
from app.articles.schemas import SUMMARY_FIELDS, ArticleRead
from app.core.errors import NotFound
from app.core.pagination import (
    cursor_moment,
    decode_cursor,
    encode_cursor,
    invalid_cursor,
    scope_of,
)
from app.core.sparse import pick_fields
from app.core.tokens import TokenSigner
from app.models import ArticleType


@dataclass(frozen=True)
class FeedPage:
    items: list[StoredItem]
    next_cursor: str | None
    newest_cursor: str | None


def feed(
    session: Session,
    locale: Locale,
    where: repo.FeedFilter,
    *,
    cursor: str | None,
    limit: int,
    scope: dict[str, Any],
    signer: TokenSigner,
    newer_than: str | None = None,
    with_body: bool = False,
) -> FeedPage:
    """A page of the feed, newest first: after `cursor` (paging down) and, with
    `newer_than`, only items above that position (pull-to-refresh)."""
    cursor_scope = scope_of(kind="feed", **scope)
    after = feed_position(decode_cursor(signer, cursor, cursor_scope, 2)) if cursor else None
    since = (
        feed_position(decode_cursor(signer, newer_than, cursor_scope, 2)) if newer_than else None
    )
    rows = repo.feed_page(
        session,
        now=locale.now,
        where=where,
        after=after,
        newer_than=since,
        limit=limit + 1,
        reader=(locale.lang, fragments.renderer_of(session).fingerprint),
        with_body=with_body,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = fragments.items_of_rows(session, rows, locale.lang, with_body=with_body)

    def position(row: Any) -> str:
        return encode_cursor(signer, cursor_scope, [row.published_at.isoformat(), str(row.id)])

    newest = None
    if cursor is None:
        newest = position(rows[0]) if rows else newer_than
    return FeedPage(
        items=items, next_cursor=position(rows[-1]) if more else None, newest_cursor=newest
    )


def feed_position(raw: list[Any]) -> repo.FeedPosition:
    """(published_at, id) from a decoded cursor; anything else is the client's 400."""
    try:
        return cursor_moment(raw[0]), uuid.UUID(str(raw[1]))
    except ValueError as exc:
        raise invalid_cursor() from exc


def list_item_fields(
    fields: str | None, include: str | None, *, also: Sequence[str] = ()
) -> set[str]:
    """Which item fields a list (feed, sync, search) sends: `fields=` picks, `include=`
    adds the body or the schema.org data (lists never carry them otherwise); `also` names a
    list's own fields."""
    heavy = tuple(include.split(",")) if include else ()
    known = (*SUMMARY_FIELDS, *also)
    return pick_fields(fields, (*known, *heavy), default=known, extra=heavy)


def latest(
    session: Session, locale: Locale, where: repo.FeedFilter, limit: int
) -> list[ArticleRead]:
    """The newest public articles in full (syndication feeds carry bodies), newest first,
    each in the reader's language or its fallback, as in the feed."""
    rows = repo.feed_page(session, now=locale.now, where=where, after=None, limit=limit)
    if not rows:
        return []
    bundle = Bundle.load(session, [row.id for row in rows], with_body=True)
    return [bundle.full(row.id, locale, locale.lang) for row in rows]


@dataclass(frozen=True)
class ArticlePage:
    id: uuid.UUID
    lang: str
    json: bytes  # schemas.ArticleRead
    # What it shows of its tags, sources and authors: what a cached copy depends on.
    tag_slugs: list[str]
    source_slugs: list[str]
    author_slugs: list[str]

    @classmethod
    def of(cls, article_id: uuid.UUID, lang: str, stored: fragments.StoredArticle) -> "ArticlePage":
        item = pydantic_core.from_json(stored.pages[lang][0])

        def slugs(field: str) -> list[str]:
            return [str(ref["slug"]) for ref in item[field]]

        return cls(
            article_id,
            lang,
            stored.page(lang),
            slugs("tags"),
            slugs("sources"),
            slugs("authors"),
        )


def article_by_slug(
    session: Session,
    slug: str,
    locale: Locale,
    *,
    prefer_explicit: bool = False,
    type_: ArticleType = ArticleType.ARTICLE,
) -> ArticlePage:
    """The article (or page) in the translation `slug` names or, with `prefer_explicit` (the
    client sent `lang=`), in the reader's language when it has that translation."""
    found = repo.public_article_id_by_slug(
        session, slug, now=locale.now, prefer_lang=locale.lang, type_=type_
    )
    if found is None:
        raise NotFound(f"No published {type_} has the slug '{slug}'.")
    article_id, slug_lang = found
    stored = fragments.stored_article(session, article_id, locale.lang)
    lang = locale.lang if prefer_explicit and locale.lang in stored.pages else slug_lang
    return ArticlePage.of(article_id, lang, stored)


def related(session: Session, slug: str, locale: Locale, *, limit: int) -> list[StoredItem]:
    """Public articles related to the public article `slug` (see repository.related_ids),
    each in the reader's language or its fallback, as in the feed."""
    found = repo.public_article_id_by_slug(session, slug, now=locale.now, prefer_lang=locale.lang)
    if found is None:
        raise NotFound(f"No published article has the slug '{slug}'.")
    ids = repo.related_ids(session, found[0], now=locale.now, limit=limit)
    return fragments.listed_items(session, ids, locale.lang, with_body=False)
