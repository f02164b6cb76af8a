"""All SQL for full-text search: one query shape, two index backends.

A query (app.search.query) is words, matched by their terms in the lemma index, and exact
phrases and prefixes, matched in the raw-text index. An article's tier is where its best
translation matched: 2 an item in the title, 1 in the excerpt, 0 in the body only (every
item must occur somewhere in that translation). Results
come tier by tier, newest first within a tier, keyset-paginated by (tier, published_at,
id); `rank` is the tier. Each tier is one query on the feed's own shape (public articles,
the feed's filters, ORDER BY published_at DESC, id DESC LIMIT n) plus "has a translation
matching in this tier, none in a higher one", in one of two plans, so that no query ranks
or sorts every match of a common word:

- many matches: walk the feed index newest first, testing each article's translations
  (it stops after about limit / share-of-articles-matching articles);
- few matches: list them from the index, then join the articles and sort.

Which one is decided per tier before the query, from how many translations match in it:
on PostgreSQL the planner's estimate (from its statistics of the tsvector columns of
migration c4e1d2a9b7f3: `article_search_lemmas` for "every word anywhere",
`article_search_title` and `article_search_excerpt` for the tiers, and the raw text's
`article_search_vector`, weighted A title, B excerpt, C body, for phrases and prefixes);
on SQLite, which keeps no statistics for FTS5, a count inside FTS5 that stops at
`_SQLITE_FEW`.
"""

import math
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Row,
    Select,
    Text,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from app.articles.repository import FeedFilter, FeedPosition, public_query
from app.models import Article, ArticleTranslation, ArticleVisibility
from app.search.query import Query, RawItem

SearchPosition = tuple[float, datetime, uuid.UUID]
TIERS = (2, 1, 0)  # title, excerpt, body: best first
PageQuery = Select[uuid.UUID, datetime | None, float]
# Narrows a page query to the articles in a tier; None when the tier is known to be empty.
TierFilter = Callable[[PageQuery], PageQuery]
Backend = Callable[[Session, Query, int], TierFilter | None]
# A translation whose title and excerpt alone hold every item: all a restricted article
# may be found by (its body is not public, so neither is a match in it).
SurfaceMatch = Callable[[Query], ColumnElement[bool]]


def search_page(
    session: Session,
    query: Query,
    *,
    now: datetime,
    where: FeedFilter,
    after: SearchPosition | None,
    limit: int,
) -> list[Row[uuid.UUID, datetime | None, float]]:
    """Public articles in which every item of the query matches, best first."""
    if query.size == 0:
        raise ValueError("an empty query")
    backend = _backend(session)
    rows: list[Row[uuid.UUID, datetime | None, float]] = []
    for tier, position in _tiers_after(after):
        in_tier = backend(session, query, tier)
        if in_tier is not None:
            rows += _tier_page(
                session, query, in_tier, tier, now, where, position, limit - len(rows)
            )
        if len(rows) >= limit:
            break
    return rows


def _tiers_after(after: SearchPosition | None) -> list[tuple[int, FeedPosition | None]]:
    """The tiers left to read after a cursor, and where to resume in the first of them.
    A cursor's rank may be any float (older cursors carried a fraction): its floor is
    the tier, and the order (tier, published_at, id) decides what comes after it."""
    if after is None:
        return [(tier, None) for tier in TIERS]
    rank, published_at, article_id = after
    tier = math.floor(rank)
    return [(t, (published_at, article_id) if t == tier else None) for t in TIERS if t <= tier]


def _not_by_restricted_body(session: Session, query: Query, tier: int) -> ColumnElement[bool]:
    """Public articles match anywhere; restricted ones only without their body. Tier 0 is
    body-only matches: none of them."""
    public = Article.visibility == ArticleVisibility.PUBLIC
    if tier == 0:
        return public
    if _single(query):  # its one item matched in the title or excerpt: nothing to hide
        return true()
    surface = _SURFACE[session.get_bind().dialect.name](query)
    # The few restricted articles that do not match by title or excerpt, listed once (an
    # uncorrelated subquery): an OR tested on every walked article made SQLite's common-word
    # search 20-40 times slower.
    hidden = (
        select(Article.id)
        .where(Article.visibility == ArticleVisibility.RESTRICTED, not_(_has_translation(surface)))
        .correlate(None)
    )
    return Article.id.not_in(hidden)


def _tier_page(
    session: Session,
    search: Query,
    in_tier: TierFilter,
    tier: int,
    now: datetime,
    where: FeedFilter,
    after: FeedPosition | None,
    limit: int,
) -> list[Row[uuid.UUID, datetime | None, float]]:
    rank = literal(float(tier), Double).label("rank")
    query = in_tier(public_query(now, where).add_columns(rank))
    query = query.where(_not_by_restricted_body(session, search, tier))
    if after is not None:
        query = query.where(tuple_(Article.published_at, Article.id) < tuple_(*after))
    query = query.order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)
    return list(session.execute(query).all())


def _backend(session: Session) -> Backend:
    dialect = session.get_bind().dialect.name
    if dialect not in _BACKENDS:
        raise NotImplementedError(f"full-text search is not built for {dialect}")
    return _BACKENDS[dialect]


def _has_translation(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(ArticleTranslation.article_id == Article.id, condition).correlate(Article)


def _where(condition: ColumnElement[bool]) -> TierFilter:
    return lambda query: query.where(condition)


def _single(query: Query) -> bool:
    """One item only: matching it in the title implies matching it anywhere."""
    return len(query.words) + len(query.raw_items) == 1


# ---- PostgreSQL: tsvector @@ tsquery ---------------------------------------------------
# Terms are matched exactly as the application wrote them (tsquery input, no parser), raw
# tokens through the 'simple' configuration, as the raw vector was built. Every string put
# into a tsquery is a run of letters and digits: quoting it needs no escaping.

_PG_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
_PG_LEMMAS: dict[int, ColumnElement[Any]] = {
    2: literal_column("article_translations.article_search_title"),
    1: literal_column("article_translations.article_search_excerpt"),
    0: literal_column("article_translations.article_search_lemmas"),  # all three fields
}
_PG_RAW: ColumnElement[Any] = literal_column("article_translations.article_search_vector")
# SURFACE: title or excerpt, what a restricted article may be found by.
SURFACE = -1
_PG_WEIGHTS = {2: "A", 1: "B", 0: "", SURFACE: "AB"}

# Below this many translations estimated to match in a tier, list them from the index.
_PG_FEW = 2000


def _pg_terms(query: Query, operator: str) -> ColumnElement[Any]:
    source = f" {operator} ".join(
        "(" + " | ".join(f"'{term}'" for term in terms) + ")" for terms in query.words
    )
    return literal(source).cast(TSQUERY)


def _pg_raw_item(item: RawItem, tier: int) -> ColumnElement[Any]:
    """The item parsed as the raw vector was ('simple' parser: "єр-міністр" is a compound
    and its parts), then the last word made a prefix and every word confined to the tier's
    field (weight), in the tsquery's text form: its words are quoted ('word')."""
    query: ColumnElement[Any] = func.phraseto_tsquery(_PG_CONFIG, literal(item.text)).cast(Text)
    if item.prefix:
        query = func.regexp_replace(query, "'$", "':*")
    if weight := _PG_WEIGHTS[tier]:
        query = func.regexp_replace(query, "('[^']*')(?::(\\*))?", f"\\1:\\2{weight}", "g")
    return query.cast(TSQUERY)


def _pg_raw(query: Query, operator: str, tier: int) -> ColumnElement[Any]:
    items = [_pg_raw_item(item, tier) for item in query.raw_items]
    combined = items[0]
    for item in items[1:]:
        combined = combined.op(operator)(item)
    return combined


def _pg_every(query: Query) -> ColumnElement[bool]:
    tests = []
    if query.words:
        tests.append(_PG_LEMMAS[0].bool_op("@@")(_pg_terms(query, "&")))
    if query.raw_items:
        tests.append(_PG_RAW.bool_op("@@")(_pg_raw(query, "&&", 0)))
    return and_(*tests)


def _pg_some(query: Query, tier: int) -> ColumnElement[bool]:
    tests = []
    if query.words:
        tests.append(_PG_LEMMAS[tier].bool_op("@@")(_pg_terms(query, "|")))
    if query.raw_items:
        tests.append(_PG_RAW.bool_op("@@")(_pg_raw(query, "||", tier)))
    return or_(*tests)


def _postgres_tier(session: Session, query: Query, tier: int) -> TierFilter:
    every_item = _pg_every(query)

    def matches(t: int) -> ColumnElement[bool]:
        if t == 0:
            return every_item
        some_item = _pg_some(query, t)
        return some_item if _single(query) else and_(some_item, every_item)

    higher = [not_(_has_translation(matches(t))) for t in TIERS if t > tier]
    if _pg_estimate(session, matches(tier)) >= _PG_FEW:  # common: walk the feed
        return _where(and_(_has_translation(matches(tier)), *higher))
    # Few: list them from the index first, then join and sort. The planner would often
    # walk the feed instead: it costs each article's test as if its translations were
    # cached and its vector small, and a rare word can mean walking every article.
    return _where(and_(_listed(matches(tier)), *higher))


def _listed(translations: ColumnElement[bool]) -> ColumnElement[bool]:
    """The article is one of those listed once, before the walk, from the translations
    meeting `translations` (a materialized CTE: the index is searched exactly once)."""
    listed = (
        select(ArticleTranslation.article_id)
        .where(translations)
        .cte("article_search_listed")
        .prefix_with("MATERIALIZED")
    )
    return Article.id.in_(select(listed.c.article_id))


def _pg_estimate(session: Session, condition: ColumnElement[bool]) -> float:
    """The planner's estimate of how many translations meet `condition` (no execution)."""
    query = select(ArticleTranslation.id).where(condition)
    sql = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    # Colons escaped: text() would take the weight in a literal ('word':A) for a parameter.
    escaped = str(sql).replace(":", "\\:")
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {escaped}")).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


# ---- SQLite: FTS5 MATCH ---------------------------------------------------------------

_FTS = table("article_search")
_FTS_NAME: ColumnElement[Any] = literal_column("article_search")
_FTS_ROWID: ColumnElement[Any] = literal_column("article_search.rowid")
# The FTS5 columns of each tier: lemma columns for words, raw text for phrases and prefixes.
_FTS_LEMMAS = {
    2: "lemmas_title",
    1: "lemmas_excerpt",
    0: "lemmas_title lemmas_excerpt lemmas_body",
    SURFACE: "lemmas_title lemmas_excerpt",
}
_FTS_RAW = {2: "title", 1: "excerpt", 0: "title excerpt body", SURFACE: "title excerpt"}
# Up to this many translations in a tier, reading them all beats walking the feed.
_SQLITE_FEW = 1000


def _fts_items(query: Query, tier: int) -> list[str]:
    """An FTS5 expression per item of the query, confined to the tier's columns."""
    lemmas, raw = _FTS_LEMMAS[tier], _FTS_RAW[tier]
    items = [
        f"({{{lemmas}}} : (" + " OR ".join(f'"{term}"' for term in terms) + "))"
        for terms in query.words
    ]
    items += [
        f'({{{raw}}} : "{" ".join(item.tokens)}"' + ("*" if item.prefix else "") + ")"
        for item in query.raw_items
    ]
    return items


def _fts_tier_query(query: Query, tier: int) -> str:
    """FTS5 query for the translations whose best match is in `tier`."""
    every_item = "(" + " AND ".join(_fts_items(query, 0)) + ")"

    def some_item(t: int) -> str:
        return "(" + " OR ".join(_fts_items(query, t)) + ")"

    if tier == 2:
        return f"{every_item} AND {some_item(2)}"
    if tier == 1:
        return f"({every_item} AND {some_item(1)}) NOT {some_item(2)}"
    return f"{every_item} NOT ({some_item(2)} OR {some_item(1)})"


def _fts_match(query: Query, tier: int) -> ColumnElement[bool]:
    return _FTS_NAME.bool_op("MATCH")(literal(_fts_tier_query(query, tier)))


def _sqlite_tier(session: Session, query: Query, tier: int) -> TierFilter | None:
    def matches(t: int) -> ColumnElement[bool]:
        # `id + 0`: test each walked translation against the match list (built once),
        # rather than let SQLite seek every listed id for every article it walks.
        rowids = select(_FTS_ROWID).select_from(_FTS).where(_fts_match(query, t))
        return (ArticleTranslation.id + 0).in_(rowids)

    higher = [not_(_has_translation(matches(t))) for t in TIERS if t > tier]
    count = _sqlite_count(session, query, tier)
    if count == 0:
        return None
    if count >= _SQLITE_FEW:  # common: walk the feed
        return _where(and_(_has_translation(matches(tier)), *higher))
    # Few: list them from the FTS rowids once, then join and sort. Joined to the FTS table
    # instead, SQLite may walk the feed and run the MATCH again for each translation it
    # meets (with the restricted and higher-tier tests it did: 155 s for `a* "the of"` on
    # 3,000 articles, each prefix and phrase read in full again per translation).
    rowids = select(_FTS_ROWID).select_from(_FTS).where(_fts_match(query, tier))
    return _where(and_(_listed(ArticleTranslation.id.in_(rowids)), *higher))


def _sqlite_count(session: Session, query: Query, tier: int) -> int:
    """How many translations match best in `tier`, counting no further than _SQLITE_FEW."""
    rowids = select(_FTS_ROWID).select_from(_FTS).where(_fts_match(query, tier))
    listed = rowids.limit(_SQLITE_FEW).subquery()
    return session.execute(select(func.count()).select_from(listed)).scalar_one()


def _postgres_surface(query: Query) -> ColumnElement[bool]:
    tests = []
    if query.words:
        vector = _PG_LEMMAS[2].op("||")(_PG_LEMMAS[1])
        tests.append(vector.bool_op("@@")(_pg_terms(query, "&")))
    if query.raw_items:
        tests.append(_PG_RAW.bool_op("@@")(_pg_raw(query, "&&", SURFACE)))
    return and_(*tests)


def _sqlite_surface(query: Query) -> ColumnElement[bool]:
    every_item = " AND ".join(_fts_items(query, SURFACE))
    rowids = (
        select(_FTS_ROWID).select_from(_FTS).where(_FTS_NAME.bool_op("MATCH")(literal(every_item)))
    )
    return (ArticleTranslation.id + 0).in_(rowids)


_BACKENDS: dict[str, Backend] = {"postgresql": _postgres_tier, "sqlite": _sqlite_tier}
_SURFACE: dict[str, SurfaceMatch] = {"postgresql": _postgres_surface, "sqlite": _sqlite_surface}


def snippet_texts(
    session: Session, shown: Sequence[tuple[uuid.UUID, str]], *, body_chars: int
) -> dict[tuple[uuid.UUID, str], tuple[str, str | None]]:
    """(excerpt, start of the body) of each (article id, lang): what snippets quote. The
    body is None for a restricted article: it is never read, so it cannot be quoted."""
    if not shown:
        return {}
    t = ArticleTranslation
    wanted = set(shown)
    public = Article.visibility == ArticleVisibility.PUBLIC
    # By article id (indexed): a row-value IN over (article_id, lang) is a scan on SQLite.
    # Each article's other translations are skipped here, their bodies never read.
    rows = session.execute(
        select(
            t.article_id,
            t.lang,
            t.excerpt,
            case(
                (
                    and_(public, tuple_(t.article_id, t.lang).in_(list(wanted))),
                    func.substr(t.body, 1, body_chars),
                ),
                (public, ""),
                else_=None,
            ),
        )
        .join(Article, Article.id == t.article_id)
        .where(t.article_id.in_({article_id for article_id, _ in wanted}))
    )
    return {(r[0], r[1]): (r[2], r[3]) for r in rows if (r[0], r[1]) in wanted}
