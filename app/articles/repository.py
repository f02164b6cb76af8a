"""All SQL for articles. Reads select exactly the columns a response needs, one query per
kind of row per page (never one per article)."""

import functools
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Executable,
    Integer,
    Row,
    Select,
    Uuid,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from app.core import changes
from app.models import (
    Article,
    ArticleAuthor,
    ArticleRendering,
    ArticleStatus,
    ArticleTag,
    ArticleTombstone,
    ArticleTranslation,
    ArticleType,
    Author,
    AuthorName,
    ChangeJournal,
    Citation,
    RemovalReason,
    Source,
    SourceName,
    SyncState,
    Tag,
    TagName,
)
from app.models.base import UTCDateTime


def is_public(now: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """The one definition of "public": published, and its time has come."""
    return and_(
        Article.status == ArticleStatus.PUBLISHED,
        Article.published_at.is_not(None),
        Article.published_at <= now,
    )


class Visibility(Protocol):
    """What decides whether an article is public: an Article, or its columns from a row."""

    @property
    def status(self) -> ArticleStatus: ...

    @property
    def published_at(self) -> datetime | None: ...


def is_public_article(article: Visibility, now: datetime) -> bool:
    """`is_public` for a loaded article (the same rule, evaluated in Python)."""
    return (
        article.status == ArticleStatus.PUBLISHED
        and article.published_at is not None
        and article.published_at <= now
    )


@dataclass(frozen=True)
class FeedFilter:
    tag_id: int | None = None
    source_id: int | None = None
    only_lang: str | None = None  # keep only articles translated into this language
    type: ArticleType = ArticleType.ARTICLE  # pages only where asked for
    author_id: int | None = None
    section_id: int | None = None  # a tag whose kind is "section"
    featured: bool | None = None


FeedPosition = tuple[datetime, uuid.UUID]


def public_query(
    now: datetime | BindParameter[datetime], where: FeedFilter, *, bound: bool = False
) -> Select[uuid.UUID, datetime | None]:
    """(id, published_at) of the public articles `where` picks: the feed's and search's base.
    `bound`: the filters' values are bind parameters named as FeedFilter's fields (a
    statement built once per shape of filter, see feed_page)."""

    def value(name: str) -> Any:
        return bindparam(name) if bound else getattr(where, name)

    query = select(Article.id, Article.published_at).where(
        is_public(now), Article.type == value("type")
    )
    linked = (
        (where.tag_id, ArticleTag.article_id, ArticleTag.tag_id, "tag_id"),
        (where.source_id, Citation.article_id, Citation.source_id, "source_id"),
        (where.only_lang, ArticleTranslation.article_id, ArticleTranslation.lang, "only_lang"),
        (where.author_id, ArticleAuthor.article_id, ArticleAuthor.author_id, "author_id"),
        (where.section_id, ArticleTag.article_id, ArticleTag.tag_id, "section_id"),
    )
    for wanted, article_id, owner, name in linked:
        if wanted is not None:
            query = query.where(exists().where(article_id == Article.id, owner == value(name)))
    if where.featured is not None:
        query = query.where(Article.featured.is_(where.featured))
    return query


_FILTER_FIELDS = ("type", "tag_id", "source_id", "only_lang", "author_id", "section_id")


@dataclass(frozen=True)
class FeedShape:
    """What a feed statement looks like, apart from its parameters' values: which filters
    are set (and `featured`'s value, a literal), and the optional parts."""

    filters: tuple[bool, ...]  # per _FILTER_FIELDS but `type`: set or not
    type: ArticleType
    featured: bool | None
    after: bool
    newer_than: bool
    reader: bool  # joined with each article's stored rendering for the reader
    with_body: bool  # ... and its body

    def blank_filter(self) -> FeedFilter:
        """A FeedFilter with the same fields set (to placeholders: they are bound)."""
        names = _FILTER_FIELDS[1:]
        present = {name: 0 if on else None for name, on in zip(names, self.filters, strict=True)}
        return FeedFilter(type=self.type, featured=self.featured, **present)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def _feed_statement(shape: FeedShape) -> Select[Any]:
    """The keyset query of one shape, built once: building and hashing a statement costs
    more than SQLite takes to run it."""
    now = bindparam("now", type_=UTCDateTime())
    query: Any = public_query(now, shape.blank_filter(), bound=True)
    position = tuple_(Article.published_at, Article.id)
    if shape.after:
        at, after_id = (
            bindparam("after_at", type_=UTCDateTime()),
            bindparam("after_id", type_=Uuid()),
        )
        query = query.where(position < tuple_(at, after_id))
    if shape.newer_than:
        at, newer_id = (
            bindparam("newer_at", type_=UTCDateTime()),
            bindparam("newer_id", type_=Uuid()),
        )
        query = query.where(position > tuple_(at, newer_id))
    if shape.reader:
        body = ArticleRendering.body if shape.with_body else literal(b"null")
        stored = (ArticleRendering.lang, ArticleRendering.item, body)
        query = query.add_columns(*stored).outerjoin(
            ArticleRendering, current_rendering(listed=True)
        )
    order = (Article.published_at.desc(), Article.id.desc())
    statement: Select[Any] = query.order_by(*order).limit(bindparam("limit"))
    return statement


def current_rendering(*, listed: bool) -> ColumnElement[bool]:
    """Join condition: the article's stored rendering for the reader (bind parameters
    `reader` and `fingerprint`) that is current (see app.articles.fragments)."""
    condition = and_(
        ArticleRendering.article_id == Article.id,
        ArticleRendering.reader_lang == bindparam("reader"),
        ArticleRendering.seq == Article.change_seq,
        ArticleRendering.fingerprint == bindparam("fingerprint"),
    )
    return and_(condition, ArticleRendering.listed) if listed else condition


def feed_page(
    session: Session,
    *,
    now: datetime,
    where: FeedFilter,
    after: FeedPosition | None,
    limit: int,
    newer_than: FeedPosition | None = None,
    reader: tuple[str, str] | None = None,
    with_body: bool = False,
) -> list[Row[Any]]:
    """Newest first by (published_at, id); `after` is the last row of the previous page,
    `newer_than` a floor (the newest row a client already has). The row comparison lets
    the index seek straight to the page: no OFFSET. The visibility bound (published_at <=
    now) takes in the one the cursor implies, so that it is a single upper bound: SQLite
    seeks on one range bound only and would otherwise scan from now down to the cursor.
    `reader` (language, fingerprint) adds each row's stored list item (lang, item, body:
    the body's JSON if `with_body`, else null): None where it has no current one."""
    shape = FeedShape(
        filters=tuple(getattr(where, name) is not None for name in _FILTER_FIELDS[1:]),
        type=where.type,
        featured=where.featured,
        after=after is not None,
        newer_than=newer_than is not None,
        reader=reader is not None,
        with_body=with_body,
    )
    params: dict[str, Any] = {name: getattr(where, name) for name in _FILTER_FIELDS}
    params.update(now=min(now, after[0]) if after is not None else now, limit=limit)
    if after is not None:
        params.update(after_at=after[0], after_id=after[1])
    if newer_than is not None:
        params.update(newer_at=newer_than[0], newer_id=newer_than[1])
    if reader is not None:
        params.update(reader=reader[0], fingerprint=reader[1])
    return list(session.connection().execute(_feed_statement(shape), params).all())


# The statements a page of articles is rendered with, built once: a statement made anew for
# every request costs more Python (construction, cache key) than SQLite takes to run it.
_IDS: BindParameter[Any] = bindparam("ids", expanding=True)

_ARTICLES_BY_ID = select(
    Article.id,
    Article.original_lang,
    Article.type,
    Article.published_at,
    Article.updated_at,
    Article.visibility,
    Article.canonical_url,
    Article.cover_url,
    Article.cover_width,
    Article.cover_height,
    Article.featured,
).where(Article.id.in_(_IDS))


def _translations_query(with_body: bool) -> Select[*tuple[Any, ...]]:
    body = ArticleTranslation.body if with_body else ArticleTranslation.excerpt.label("body")
    return (
        select(
            ArticleTranslation.article_id,
            ArticleTranslation.lang,
            ArticleTranslation.slug,
            ArticleTranslation.title,
            ArticleTranslation.excerpt,
            ArticleTranslation.updated_at,
            body,
            ArticleTranslation.cover_alt,
            ArticleTranslation.cover_caption,
            ArticleTranslation.cover_credit,
            ArticleTranslation.meta_title,
            ArticleTranslation.meta_description,
            ArticleTranslation.og_image,
        )
        .where(ArticleTranslation.article_id.in_(_IDS))
        .order_by(ArticleTranslation.article_id, ArticleTranslation.lang)
    )


_TRANSLATIONS = {with_body: _translations_query(with_body) for with_body in (False, True)}

_TAGS_OF = (
    select(ArticleTag.article_id, Tag.id, Tag.slug, Tag.kind)
    .join(Tag, Tag.id == ArticleTag.tag_id)
    .where(ArticleTag.article_id.in_(_IDS))
    .order_by(ArticleTag.article_id, ArticleTag.position)
)

_CITATIONS_OF = (
    select(
        Citation.article_id,
        Citation.id,
        Citation.position,
        Citation.url,
        Citation.via_id,
        Source.id.label("source_id"),
        Source.slug,
        Source.kind,
        Source.homepage_url,
    )
    .join(Source, Source.id == Citation.source_id)
    .where(Citation.article_id.in_(_IDS))
    .order_by(Citation.article_id, Citation.position)
)

_AUTHORS_OF = (
    select(ArticleAuthor.article_id, Author.id, Author.slug, Author.photo_url, Author.links)
    .join(Author, Author.id == ArticleAuthor.author_id)
    .where(ArticleAuthor.article_id.in_(_IDS))
    .order_by(ArticleAuthor.article_id, ArticleAuthor.position)
)

_AUTHOR_NAMES = select(
    AuthorName.author_id, AuthorName.lang, AuthorName.name, AuthorName.bio
).where(AuthorName.author_id.in_(_IDS))

_TAG_NAMES = select(TagName.tag_id, TagName.lang, TagName.name).where(TagName.tag_id.in_(_IDS))
_SOURCE_NAMES = select(SourceName.source_id, SourceName.lang, SourceName.name).where(
    SourceName.source_id.in_(_IDS)
)


def articles_by_id(
    session: Session, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[*tuple[Any, ...]]]:
    rows = session.execute(_ARTICLES_BY_ID, {"ids": list(ids)}).all()
    return {row.id: row for row in rows}


def translations_of(
    session: Session, ids: Sequence[uuid.UUID], *, with_body: bool = False
) -> list[Row[*tuple[Any, ...]]]:
    return list(session.execute(_TRANSLATIONS[with_body], {"ids": list(ids)}).all())


def tags_of(session: Session, ids: Sequence[uuid.UUID]) -> list[Row[uuid.UUID, int, str, str]]:
    return list(session.execute(_TAGS_OF, {"ids": list(ids)}).all())


def authors_of(
    session: Session, ids: Sequence[uuid.UUID]
) -> list[Row[uuid.UUID, int, str, str | None, list[str]]]:
    return list(session.execute(_AUTHORS_OF, {"ids": list(ids)}).all())


def author_names(
    session: Session, author_ids: Sequence[int]
) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, str]]]:
    """(names, bios) by author id, each by language; empty bios are left out."""
    rows = session.execute(_AUTHOR_NAMES, {"ids": list(author_ids)}).all()
    bios: dict[int, dict[str, str]] = {}
    for author_id, lang, _, bio in rows:
        if bio:
            bios.setdefault(author_id, {})[lang] = bio
    return _names_by_id([(row[0], row[1], row[2]) for row in rows]), bios


def citations_of(
    session: Session, ids: Sequence[uuid.UUID]
) -> list[Row[uuid.UUID, int, int, str | None, int | None, int, str, str | None, str | None]]:
    return list(session.execute(_CITATIONS_OF, {"ids": list(ids)}).all())


def tag_names(session: Session, tag_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    return _names_by_id(session.execute(_TAG_NAMES, {"ids": list(tag_ids)}).all())


def source_names(session: Session, source_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    return _names_by_id(session.execute(_SOURCE_NAMES, {"ids": list(source_ids)}).all())


def _names_by_id(rows: Sequence[tuple[int, str, str]]) -> dict[int, dict[str, str]]:
    names: dict[int, dict[str, str]] = {}
    for owner_id, lang, name in rows:
        names.setdefault(owner_id, {})[lang] = name
    return names


_SLUG_OWNERS = select(ArticleTranslation.article_id, ArticleTranslation.lang).where(
    ArticleTranslation.slug == bindparam("slug")
)
_PUBLIC_AMONG = select(Article.id).where(
    Article.id.in_(bindparam("ids", expanding=True)),
    is_public(bindparam("now", type_=UTCDateTime())),
    Article.type == bindparam("type"),
)


def public_article_id_by_slug(
    session: Session,
    slug: str,
    *,
    now: datetime,
    prefer_lang: str,
    type_: ArticleType = ArticleType.ARTICLE,
) -> tuple[uuid.UUID, str] | None:
    """(article id, language of that slug) for a public article (or page); the preferred
    language wins when two share a slug in different languages.

    Slug first, then visibility: joined in one query, SQLite's planner (with no ANALYZE
    statistics) walks every public article through the feed index instead of the slug index.
    """
    connection = session.connection()
    candidates = connection.execute(_SLUG_OWNERS, {"slug": slug}).all()
    if not candidates:
        return None
    params = {"ids": [row[0] for row in candidates], "now": now, "type": type_}
    public = set(connection.scalars(_PUBLIC_AMONG, params))
    visible = sorted(
        (row for row in candidates if row.article_id in public),
        key=lambda row: (row.lang != prefer_lang, row.lang),
    )
    return (visible[0].article_id, visible[0].lang) if visible else None


# Related articles. Each tag or source of the article brings candidates, bounded however
# large it is: a small one (under RELATED_SMALL articles) all of its articles, read from its
# link index; a large one its RELATED_CANDIDATES newest public articles, found by walking the
# feed index (ix_articles_feed) until that many carry it: as dense as it is, that is short.
RELATED_SMALL = 500
RELATED_CANDIDATES = 30
TAG_WEIGHT = 2  # a shared tag counts for more than a shared source
SOURCE_WEIGHT = 1


def related_ids(
    session: Session, article_id: uuid.UUID, *, now: datetime, limit: int
) -> list[uuid.UUID]:
    """Public articles sharing tags or sources with `article_id`, best first: by
    TAG_WEIGHT x shared tags + SOURCE_WEIGHT x shared sources, then newest."""
    params: dict[str, Any] = {"me": article_id, "now": now, "limit": limit}
    params |= {"k": RELATED_CANDIDATES, "small_limit": RELATED_SMALL}
    shape: list[int] = []
    for kind, link in _RELATED_LINKS.items():
        owners = sorted(set(session.scalars(link.owners, {"me": article_id})))
        large = _large_owners(session, kind, owners) if owners else []
        params[f"small_{kind}"] = [owner for owner in owners if owner not in large]
        params |= {f"large_{kind}_{i}": owner for i, owner in enumerate(large)}
        shape.append(len(large))
    if not params["small_tag"] and not params["small_source"] and not any(shape):
        return []
    return list(session.scalars(_related_statement(*shape), params))


@dataclass(frozen=True)
class _Link:
    article_id: Any  # the link table's columns
    owner_id: Any
    weight: int

    @property
    def owners(self) -> Select[Any]:
        return select(self.owner_id).where(self.article_id == bindparam("me"))


_RELATED_LINKS = {
    "tag": _Link(ArticleTag.__table__.c.article_id, ArticleTag.__table__.c.tag_id, TAG_WEIGHT),
    "source": _Link(Citation.__table__.c.article_id, Citation.__table__.c.source_id, SOURCE_WEIGHT),
}


@functools.cache
def _related_statement(large_tags: int, large_sources: int) -> Select[Any]:
    """The ranking, one statement for each number of large tags and large sources (built
    once: made anew on every request, the statement costs more Python than SQL)."""
    now = bindparam("now", type_=UTCDateTime())
    me = bindparam("me", type_=Article.id.type)
    branches: list[Select[Any]] = []
    for (kind, link), large in zip(
        _RELATED_LINKS.items(), (large_tags, large_sources), strict=True
    ):
        weight = literal(link.weight).label("weight")
        for i in range(large):
            # The newest public articles with this tag: down the feed index until enough.
            newest = (
                select(Article.id, Article.published_at)
                .where(
                    is_public(now),
                    Article.id != me,
                    exists().where(
                        link.article_id == Article.id,
                        link.owner_id == bindparam(f"large_{kind}_{i}"),
                    ),
                )
                .order_by(Article.published_at.desc(), Article.id.desc())
                .limit(bindparam("k", type_=Integer()))
                .subquery()
            )
            branches.append(select(newest.c.id, weight))
        small: BindParameter[int] = bindparam(f"small_{kind}", expanding=True)
        pairs = select(link.article_id, link.owner_id).where(link.owner_id.in_(small)).distinct()
        found = pairs.subquery()
        branches.append(select(found.c.article_id.label("id"), weight))
    found = union_all(*branches).subquery("found")
    candidates = (
        select(found.c.id, func.sum(found.c.weight).label("score"))
        .group_by(found.c.id)
        .subquery("candidates")
    )
    # A lookup by primary key per candidate, as a correlated subquery: joined, both
    # planners may walk every public article instead (SQLite through the feed index,
    # PostgreSQL in a hash join), not knowing how few the candidates are.
    published_at = (
        select(Article.published_at)
        .where(Article.id == candidates.c.id, unindexed_is_public(now))
        .scalar_subquery()
    )
    ranked = select(candidates.c.id, candidates.c.score, published_at.label("published_at"))
    ranked_rows = ranked.where(candidates.c.id != me).subquery("ranked")
    return (
        select(ranked_rows.c.id)
        .where(ranked_rows.c.published_at.is_not(None))
        .order_by(
            ranked_rows.c.score.desc(), ranked_rows.c.published_at.desc(), ranked_rows.c.id.desc()
        )
        .limit(bindparam("limit", type_=Integer()))
    )


class _Unindexed(ColumnElement[Any]):
    """A column no index may serve: `+column` on SQLite (its documented way to say so),
    the column elsewhere. Keeps SQLite's planner from answering a join to a few candidates
    by walking every public article through the feed index."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]  # noqa: RUF012

    def __init__(self, column: ColumnElement[Any]) -> None:
        self.column = column
        self.type = column.type


@compiles(_Unindexed)
def _compile_unindexed(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(_Unindexed, "sqlite")
def _compile_unindexed_sqlite(element: _Unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return f"+{compiler.process(element.column, **kw)}"


def unindexed_is_public(now: BindParameter[datetime]) -> ColumnElement[bool]:
    """`is_public`, with none of its columns served by an index."""
    published_at = _Unindexed(Article.published_at.expression)
    return and_(
        _Unindexed(Article.status.expression) == ArticleStatus.PUBLISHED,
        published_at.is_not(None),
        published_at <= now,
    )


def _large_owners(session: Session, kind: str, owner_ids: Sequence[int]) -> list[int]:
    """Which of these tags (or sources) have at least RELATED_SMALL links, in order."""
    params = {f"o{i}": owner for i, owner in enumerate(owner_ids)}
    rows = session.execute(_counts_statement(kind, len(owner_ids)), params | {"n": RELATED_SMALL})
    large = {row.owner for row in rows if row.n >= RELATED_SMALL}
    return [owner for owner in owner_ids if owner in large]


@functools.cache
def _counts_statement(kind: str, owners: int) -> Executable:
    """Links of each of `owners` tags (or sources), each count stopping at `n`, on its index."""
    link = _RELATED_LINKS[kind]
    counts = [
        select(
            bindparam(f"o{i}", type_=Integer()).label("owner"), func.count().label("n")
        ).select_from(
            select(literal(1))
            .where(link.owner_id == bindparam(f"o{i}", type_=Integer()))
            .limit(bindparam("n", type_=Integer()))
            .subquery()
        )
        for i in range(owners)
    ]
    return counts[0] if owners == 1 else union_all(*counts)


# ---- editor side -------------------------------------------------------------------


def load_article(
    session: Session, article_id: uuid.UUID, *, for_update: bool = False
) -> Article | None:
    query = (
        select(Article)
        .where(Article.id == article_id)
        .options(
            selectinload(Article.translations),
            selectinload(Article.tag_links).selectinload(ArticleTag.tag),
            selectinload(Article.author_links).selectinload(ArticleAuthor.author),
            selectinload(Article.citations).selectinload(Citation.source),
        )
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def tags_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, Tag]:
    return {t.slug: t for t in session.scalars(select(Tag).where(Tag.slug.in_(slugs)))}


def authors_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, Author]:
    return {a.slug: a for a in session.scalars(select(Author).where(Author.slug.in_(slugs)))}


_LINKS = {
    "tag": (ArticleTag.article_id, ArticleTag.tag_id),
    "source": (Citation.article_id, Citation.source_id),
    "author": (ArticleAuthor.article_id, ArticleAuthor.author_id),
}


def touch_articles_of(session: Session, kind: str, owner_id: int, seq: int) -> None:
    """Give the articles of a tag, source or author the change number `seq`: what they
    show of it changed, so they are rendered again and sync delivers them again."""
    article_id, owner = _LINKS[kind]
    session.execute(
        update(Article)
        .where(Article.id.in_(select(article_id).where(owner == owner_id)))
        .values(change_seq=seq),
        execution_options={"synchronize_session": False},
    )


# Per facet kind: its table, and the link table's columns naming it and the article.
_FACETS: dict[str, tuple[type[Tag] | type[Source] | type[Author], Any, Any]] = {
    "tag": (Tag, ArticleTag.tag_id, ArticleTag.article_id),
    "source": (Source, Citation.source_id, Citation.article_id),
    "author": (Author, ArticleAuthor.author_id, ArticleAuthor.article_id),
}


def facet_keys(session: Session, article_ids: Collection[uuid.UUID] | Select[Any]) -> set[str]:
    """The tag, source and author keys (app.core.changes) of these articles, in one query."""
    query = union_all(
        *(
            select(literal(kind), model.slug)
            .join(owner.table, owner == model.id)
            .where(article.in_(article_ids))
            .distinct()
            for kind, (model, owner, article) in _FACETS.items()
        )
    )
    return {changes.facet(kind, value) for kind, value in session.execute(query)}


def articles_with(kind: str, owner_id: int) -> Select[uuid.UUID]:
    """The ids of the articles with this tag, source or author."""
    _, owner, article = _FACETS[kind]
    return select(article).where(owner == owner_id)


def sources_by_slug(session: Session, slugs: Sequence[str]) -> dict[str, Source]:
    return {s.slug: s for s in session.scalars(select(Source).where(Source.slug.in_(slugs)))}


def taken_slugs(session: Session, lang: str, base: str, *, exclude: uuid.UUID | None) -> set[str]:
    """Slugs in `lang` starting with `base` (see slugs.suffix_base), other than those of
    article `exclude`. Slugs hold no LIKE wildcards."""
    query = select(ArticleTranslation.slug).where(
        ArticleTranslation.lang == lang, ArticleTranslation.slug.startswith(base)
    )
    if exclude is not None:
        query = query.where(ArticleTranslation.article_id != exclude)
    return set(session.scalars(query))


def slug_owners(
    session: Session, keys: Collection[tuple[str, str]]
) -> dict[tuple[str, str], uuid.UUID]:
    """Owners of (lang, slug) pairs, in one query."""
    rows = session.execute(
        select(
            ArticleTranslation.lang, ArticleTranslation.slug, ArticleTranslation.article_id
        ).where(ArticleTranslation.slug.in_({slug for _, slug in keys}))
    )
    return {(lang, slug): owner for lang, slug, owner in rows if (lang, slug) in keys}


def slug_owner(session: Session, lang: str, slug: str) -> uuid.UUID | None:
    return session.scalar(
        select(ArticleTranslation.article_id).where(
            ArticleTranslation.lang == lang, ArticleTranslation.slug == slug
        )
    )


def external_id_owner(session: Session, external_id: str) -> uuid.UUID | None:
    return session.scalar(select(Article.id).where(Article.external_id == external_id))


def next_change_seq(session: Session, changed: Iterable[str]) -> int:
    """The next number in the change log, for a write that changes the keys `changed`
    (app.core.changes). The row lock taken here is held until commit, so numbers are
    handed out in commit order (see app.models.sync)."""
    return change_seq_block(session, 1, changed)[0]


# Session.info: the change numbers this transaction handed out (app.articles.fragments
# renders the articles that carry them before the commit).
CHANGED_SEQS_KEY = "dopys.changed_seqs"


def change_seq_block(session: Session, count: int, changed: Iterable[str]) -> range:
    """`count` consecutive change numbers (a batch of writes), and the journal row that
    tells response caches what the batch changed."""
    last = int(
        session.execute(
            update(SyncState)
            .where(SyncState.id == 1)
            .values(seq=SyncState.seq + count)
            .returning(SyncState.seq)
        ).scalar_one()
    )
    _journal(session, last, changed)
    numbers = range(last - count + 1, last + 1)
    session.info.setdefault(CHANGED_SEQS_KEY, []).append(numbers)
    return numbers


# The journal keeps the last JOURNAL_KEEP numbers' rows, pruned every JOURNAL_PRUNE writes:
# a reader that learnt less recently than that treats its older entries as stale.
JOURNAL_KEEP = 20_000
JOURNAL_PRUNE = 500


def _journal(session: Session, seq: int, changed: Iterable[str]) -> None:
    """The row copies sync_state's new (seq, changed_at) as stored: what readers compare."""
    state = select(SyncState.seq, SyncState.changed_at, literal(changes.encode(changed)))
    session.execute(
        insert(ChangeJournal).from_select(
            ["seq", "changed_at", "keys"], state.where(SyncState.id == 1)
        )
    )
    if seq % JOURNAL_PRUNE == 0:
        session.execute(delete(ChangeJournal).where(ChangeJournal.seq <= seq - JOURNAL_KEEP))


def lock_change_log(session: Session) -> None:
    """Take the change-log row lock now rather than at the first `next_change_seq`: a write
    that claims generated slugs then waits for earlier writers and sees their slugs, instead
    of racing them to a unique-constraint error. (SQLite writers are serialized already.)"""
    session.execute(select(SyncState.id).where(SyncState.id == 1).with_for_update())


_CURRENT_SEQ = select(SyncState.seq).where(SyncState.id == 1)
# The data version for a raw DB-API cursor: the per-request freshness check (app.core.caching).
DATA_VERSION_SQL = "SELECT seq, changed_at FROM sync_state WHERE id = 1"


def current_change_seq(session: Session | Connection) -> int:
    connection = session.connection() if isinstance(session, Session) else session
    return int(connection.execute(_CURRENT_SEQ).scalar_one())


@dataclass(frozen=True)
class DataState:
    """How current the public data is: what response caches compare and stamp."""

    seq: int
    changed_at: datetime  # last write
    latest_live: datetime | None  # newest go-live time that has passed
    next_live: datetime | None  # the next scheduled go-live: public data changes then


def _data_state_query() -> Select[int, datetime, datetime | None, datetime | None]:
    """One statement; both subqueries are seeks on ix_articles_feed. Built once: it runs
    on every render of a public response."""
    now = bindparam("now", type_=UTCDateTime())
    latest = (
        select(Article.published_at)
        .where(is_public(now))
        .order_by(Article.published_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    upcoming = (
        select(Article.published_at)
        .where(Article.status == ArticleStatus.PUBLISHED, Article.published_at > now)
        .order_by(Article.published_at)
        .limit(1)
        .scalar_subquery()
    )
    return select(SyncState.seq, SyncState.changed_at, latest, upcoming).where(SyncState.id == 1)


_DATA_STATE = _data_state_query()


def data_state(session: Session | Connection, now: datetime) -> DataState:
    row = session.execute(_DATA_STATE, {"now": now}).one()
    return DataState(seq=row[0], changed_at=row[1], latest_live=row[2], next_live=row[3])


def delete_article_row(session: Session, article_id: uuid.UUID) -> None:
    session.execute(delete(Article).where(Article.id == article_id))


def put_tombstone(
    session: Session, article_id: uuid.UUID, *, seq: int, reason: RemovalReason, at: datetime
) -> None:
    session.merge(
        ArticleTombstone(article_id=article_id, change_seq=seq, deleted_at=at, reason=reason)
    )


def has_tombstone(session: Session, article_id: uuid.UUID) -> bool:
    found = session.scalar(
        select(ArticleTombstone.article_id).where(ArticleTombstone.article_id == article_id)
    )
    return found is not None


def drop_tombstone(session: Session, article_id: uuid.UUID) -> None:
    session.execute(delete(ArticleTombstone).where(ArticleTombstone.article_id == article_id))
