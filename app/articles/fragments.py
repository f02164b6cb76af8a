"""Render once, at write time: each article's public JSON, stored as bytes.

Every write hands out change numbers (repository.change_seq_block) and marks the articles it
changed with them (`articles.change_seq`: editor writes, imports, a renamed tag, source or
author). Before such a transaction commits, `_render_changed` renders those articles for
every reader language of the site and stores the bytes (models.ArticleRendering), so the
data and its renderings commit together. A list (feed, search, sync, related) is then its
keyset query plus one query for the stored items, joined as bytes: no ORM objects and no
pydantic per item on the read path.

A stored row is served only while its `seq` is the article's `change_seq` and its
fingerprint is this code's (the response schemas and the settings that shape the JSON); any
other article is rendered on the read as before (`rendering.Bundle`), so a stale row can cost
time but never show old data. `refresh_stale` renders those in bounded batches
(`dopys db upgrade` runs it after the migrations).
"""

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pydantic_core
from sqlalchemy import BindParameter, bindparam, delete, event, exists, insert, select
from sqlalchemy.orm import Session

from app.articles import repository as repo
from app.articles.rendering import Bundle, Locale
from app.articles.schemas import SUMMARY_FIELDS, ArticleListItem, ArticleRead
from app.articles.structured import Publisher
from app.core.config import Settings
from app.models import Article, ArticleRendering, ArticleTranslation, utcnow

# Bump when what Bundle renders changes in a way the response schemas do not show (a
# fallback rule, a computed value): stored renderings of older code are then not served.
# 2: every name in the language of the translation shown (it was the reader's).
# 3: article pages carry their schema.org data (structured_data).
RENDERING_FORMAT = 3
RENDERER_KEY = "dopys.renderer"  # Session.info: the Renderer of the app's sessions
BATCH = 200  # articles rendered per statement batch

_PAGE_FIELDS = tuple(name for name in ArticleRead.model_fields if name not in SUMMARY_FIELDS)
_EXTRA_FIELDS = {name for name in _PAGE_FIELDS if name != "body"}
_SUMMARY = set(SUMMARY_FIELDS)


@dataclass(frozen=True)
class Renderer:
    """What shapes the stored JSON besides the data, and its fingerprint."""

    languages: tuple[str, ...]
    default_lang: str
    url_template: str
    publisher: Publisher
    fingerprint: str

    @classmethod
    def of(cls, settings: Settings) -> "Renderer":
        languages = tuple(settings.site_languages)
        publisher = Publisher.of(settings)
        shape = {
            "format": RENDERING_FORMAT,
            "languages": languages,
            "default_lang": settings.default_lang,
            "url_template": settings.frontend_url_template,
            "publisher": dataclasses.asdict(publisher),
            "schemas": [m.model_json_schema() for m in (ArticleListItem, ArticleRead)],
        }
        digest = hashlib.blake2b(json.dumps(shape, sort_keys=True).encode(), digest_size=16)
        return cls(
            languages,
            settings.default_lang,
            settings.frontend_url_template,
            publisher,
            digest.hexdigest(),
        )

    def locale(self, reader: str) -> Locale:
        return Locale(reader, self.default_lang, self.url_template, utcnow(), self.publisher)


def renderer_of(session: Session) -> Renderer:
    renderer: Renderer | None = session.info.get(RENDERER_KEY)
    assert renderer is not None, "sessions come from the app's factories (session_info)"
    return renderer


def session_info(settings: Settings) -> dict[str, Any]:
    """`info` for the app's session factories: what reads and writes render with."""
    return {RENDERER_KEY: Renderer.of(settings)}


# ---- rendering -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A list item as JSON bytes: `item` without its body, `body` the body's JSON, `data`
    its schema.org data's (with_structured_data)."""

    id: uuid.UUID
    lang: str
    item: bytes
    body: bytes
    data: bytes = b"null"

    def json(self, fields: set[str], tail: dict[str, Any] | None = None) -> bytes:
        """The item with `fields` only; `tail`: a list's own fields after the item's (a
        search hit's rank and snippet). The common cases are joined bytes; a projection
        (`fields=`) goes through pydantic-core's JSON, the serializer that wrote them."""
        # `body` and `structured_data` are the last fields of a list item, in that order
        # (schemas.ArticleListItem).
        whole = b'%s,"body":%s}' % (self.item[:-1], self.body) if "body" in fields else self.item
        if "structured_data" in fields:
            whole = b'%s,"structured_data":%s}' % (whole[:-1], self.data)
        if tail:
            whole = b"%s,%s" % (whole[:-1], pydantic_core.to_json(tail)[1:])
        if fields.issuperset(_SUMMARY) and fields.issuperset(tail or ()):
            return whole
        parsed = pydantic_core.from_json(whole)
        return pydantic_core.to_json({k: v for k, v in parsed.items() if k in fields})


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """Every translation of one article as a reader sees it, by language."""

    pages: dict[str, tuple[bytes, bytes, bytes]]  # lang -> (item, body, extra)

    def page(self, lang: str) -> bytes:
        """The article page: the list item, then the body, then the page's other fields
        (their order in schemas.ArticleRead)."""
        item, body, extra = self.pages[lang]
        return b'%s,"body":%s,%s' % (item[:-1], body, extra[1:])


def _render_one(
    bundle: Bundle, article_id: uuid.UUID, locale: Locale, lang: str
) -> tuple[bytes, bytes, bytes]:
    summary = bundle.summary_fields(article_id, locale, lang)
    page = bundle.page_fields(article_id, locale, lang, summary)
    read = ArticleRead(**summary, **page)
    return (
        read.model_dump_json(include=_SUMMARY).encode(),
        pydantic_core.to_json(page["body"]),
        read.model_dump_json(include=_EXTRA_FIELDS).encode(),
    )


def _rendered_rows(
    session: Session, renderer: Renderer, seqs: dict[uuid.UUID, int]
) -> Iterator[dict[str, Any]]:
    ids = list(seqs)
    bundle = Bundle.load(session, ids, with_body=True)
    for article_id in ids:
        versions = bundle.translations.get(article_id)
        if not versions or bundle.articles[article_id].published_at is None:
            continue  # never public as it stands (a draft)
        # A translation renders alike for every reader (its names are in its own
        # language): rendered once, stored for each reader language.
        locale = renderer.locale(renderer.default_lang)
        pages = {v.lang: _render_one(bundle, article_id, locale, v.lang) for v in versions}
        for reader in renderer.languages:
            listed = bundle.version_of(article_id, reader)
            for version in versions:
                item, body, extra = pages[version.lang]
                yield {
                    "article_id": article_id,
                    "reader_lang": reader,
                    "lang": version.lang,
                    "listed": version.lang == listed,
                    "seq": seqs[article_id],
                    "fingerprint": renderer.fingerprint,
                    "item": item,
                    "body": body,
                    "extra": extra,
                }


def store(session: Session, renderer: Renderer, seqs: dict[uuid.UUID, int]) -> None:
    """Render and store the articles of `seqs` (id -> change_seq), replacing their rows.
    Runs in a writing transaction that holds the change-log lock, so no other write can
    change them between the reads and the insert."""
    ids = list(seqs)
    for start in range(0, len(ids), BATCH):
        batch = {i: seqs[i] for i in ids[start : start + BATCH]}
        rows = list(_rendered_rows(session, renderer, batch))
        session.execute(delete(ArticleRendering).where(ArticleRendering.article_id.in_(batch)))
        if rows:
            session.execute(insert(ArticleRendering), rows)


_CHANGED = select(Article.id, Article.change_seq).where(
    Article.change_seq.between(bindparam("low"), bindparam("high"))
)


@event.listens_for(Session, "before_commit")
def _render_changed(session: Session) -> None:
    """The articles this transaction changed (their change numbers are its own) are
    rendered now, so that they commit with their renderings."""
    numbers: list[range] | None = session.info.pop(repo.CHANGED_SEQS_KEY, None)
    renderer: Renderer | None = session.info.get(RENDERER_KEY)
    if not numbers or renderer is None:
        return
    session.flush()
    bounds = {"low": min(r.start for r in numbers), "high": max(r.stop for r in numbers) - 1}
    changed: dict[uuid.UUID, int] = dict(session.execute(_CHANGED, bounds).all())
    if changed:
        store(session, renderer, changed)


@event.listens_for(Session, "after_soft_rollback")
def _forget_changes(session: Session, _previous: Any) -> None:
    session.info.pop(repo.CHANGED_SEQS_KEY, None)


_STALE = (
    select(Article.id, Article.change_seq)
    .where(
        # What store() renders: never a draft (never public), nor an article with no text.
        Article.published_at.is_not(None),
        exists().where(ArticleTranslation.article_id == Article.id),
        ~select(ArticleRendering.article_id)
        .where(
            ArticleRendering.article_id == Article.id,
            ArticleRendering.seq == Article.change_seq,
            ArticleRendering.fingerprint == bindparam("fingerprint"),
        )
        .exists(),
    )
    .limit(bindparam("limit"))
)


def refresh_stale(session: Session, renderer: Renderer, *, batch: int = 500) -> int:
    """Renders one batch of articles without a current rendering (after the migration that
    made the table, or a change of the settings in the fingerprint); returns how many. The
    caller commits each batch, so that writers wait for one batch at most."""
    repo.lock_change_log(session)
    params = {"fingerprint": renderer.fingerprint, "limit": batch}
    stale: dict[uuid.UUID, int] = dict(session.execute(_STALE, params).all())
    if stale:
        store(session, renderer, stale)
    return len(stale)


# ---- reading -------------------------------------------------------------------------

_R = ArticleRendering
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)
_LISTED = {
    with_body: select(Article.id, _R.lang, _R.item, _R.body if with_body else _R.item)
    .join(_R, repo.current_rendering(listed=True))
    .where(Article.id.in_(_IDS))
    for with_body in (False, True)
}
_PAGES = (
    select(_R.lang, _R.item, _R.body, _R.extra)
    .select_from(Article)
    .join(_R, repo.current_rendering(listed=False))
    .where(Article.id == bindparam("article_id"))
)


def listed_items(
    session: Session, ids: Sequence[uuid.UUID], reader: str, *, with_body: bool
) -> list[StoredItem]:
    """List items for `ids` in that order, each in the translation lists show `reader`:
    one query for the stored ones, a render for any without a current rendering."""
    if not ids:
        return []
    params = {"ids": list(ids), "reader": reader, "fingerprint": renderer_of(session).fingerprint}
    stored = {
        row[0]: StoredItem(row[0], row[1], row[2], row[3] if with_body else b"null")
        for row in session.connection().execute(_LISTED[with_body], params)
    }
    return _completed(session, ids, stored, reader)


def items_of_rows(
    session: Session, rows: Sequence[Any], reader: str, *, with_body: bool
) -> list[StoredItem]:
    """List items from rows of repository.feed_page(reader=...): (id, published_at, lang,
    item, body), the stored ones as they are, the others rendered now."""
    stored = {
        row[0]: StoredItem(row[0], row[2], row[3], row[4] if with_body else b"null")
        for row in rows
        if row[3] is not None
    }
    return _completed(session, [row[0] for row in rows], stored, reader)


def _completed(
    session: Session, ids: Sequence[uuid.UUID], stored: dict[uuid.UUID, StoredItem], reader: str
) -> list[StoredItem]:
    """`ids`' items in order: the stored ones, and the others rendered now."""
    missing = [article_id for article_id in ids if article_id not in stored]
    if missing:
        stored.update(_render_listed(session, renderer_of(session), missing, reader))
    return [stored[article_id] for article_id in ids]


def _render_listed(
    session: Session, renderer: Renderer, ids: list[uuid.UUID], reader: str
) -> dict[uuid.UUID, StoredItem]:
    bundle = Bundle.load(session, ids, with_body=True)
    locale = renderer.locale(reader)
    rendered = {}
    for article_id in ids:
        lang = bundle.version_of(article_id, reader)
        item, body, _ = _render_one(bundle, article_id, locale, lang)
        rendered[article_id] = StoredItem(article_id, lang, item, body)
    return rendered


_PAGE_EXTRAS = (
    select(Article.id, _R.lang, _R.extra)
    .join(_R, repo.current_rendering(listed=False))
    .where(Article.id.in_(_IDS))
)


def with_structured_data(
    session: Session, items: Sequence[StoredItem], reader: str
) -> list[StoredItem]:
    """`items` with their schema.org data (`include=structured_data`): their article pages'
    own, from the stored pages (one more query), those without a current one rendered now."""
    if not items:
        return []
    renderer = renderer_of(session)
    params = {"ids": [i.id for i in items], "reader": reader, "fingerprint": renderer.fingerprint}
    extras = {
        (row[0], row[1]): row[2] for row in session.connection().execute(_PAGE_EXTRAS, params)
    }
    missing = [item for item in items if (item.id, item.lang) not in extras]
    if missing:
        bundle = Bundle.load(session, [item.id for item in missing], with_body=True)
        locale = renderer.locale(reader)
        for item in missing:
            extras[item.id, item.lang] = _render_one(bundle, item.id, locale, item.lang)[2]
    return [
        dataclasses.replace(item, data=_structured_of(extras[item.id, item.lang])) for item in items
    ]


def _structured_of(extra: bytes) -> bytes:
    return pydantic_core.to_json(pydantic_core.from_json(extra)["structured_data"])


def stored_article(session: Session, article_id: uuid.UUID, reader: str) -> StoredArticle:
    """Every translation of a public article as pages for `reader`."""
    renderer = renderer_of(session)
    params = {"article_id": article_id, "reader": reader, "fingerprint": renderer.fingerprint}
    rows = session.connection().execute(_PAGES, params)
    pages = {row[0]: (row[1], row[2], row[3]) for row in rows}
    if not pages:
        bundle = Bundle.load(session, [article_id], with_body=True)
        locale = renderer.locale(reader)
        pages = {
            v.lang: _render_one(bundle, article_id, locale, v.lang)
            for v in bundle.translations[article_id]
        }
    return StoredArticle(pages)
