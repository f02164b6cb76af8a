"""All SQL for full-text search: one query shape, two index backends.

An article's tier is where its best translation matched: 2 a word in the title, 1 in the
excerpt, 0 in the body only (every word must occur somewhere in that translation). Results
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
migrations 51489ec14a04 and 2b8191bf5ea7: `article_search_vector` for "every word
anywhere", `article_search_title` and `article_search_excerpt` for the tiers); on SQLite,
which keeps no statistics for FTS5, a count inside FTS5 that stops at `_SQLITE_FEW`.
"""

import math
import re
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Row,
    Select,
    and_,
    exists,
    func,
    literal,
    literal_column,
    not_,
    or_,
    select,
    table,
    text,
    tuple_,
)
from sqlalchemy.orm import Session, aliased

from app.articles.repository import FeedFilter, FeedPosition, public_query
from app.models import Article, ArticleTranslation, ArticleVisibility

SearchPosition = tuple[float, datetime, uuid.UUID]
TIERS = (2, 1, 0)  # title, excerpt, body: best first
PageQuery = Select[uuid.UUID, datetime | None, float]
# Narrows a page query to the articles in a tier; None when the tier is known to be empty.
TierFilter = Callable[[PageQuery], PageQuery]
Backend = Callable[[Session, Sequence[str], int], TierFilter | None]
# A translation whose title and excerpt alone hold every word: all a restricted article
# may be found by (its body is not public, so neither is a match in it).
SurfaceMatch = Callable[[Sequence[str]], ColumnElement[bool]]

# Words reach SQL only as runs of letters and digits: no quote, operator or NUL can.
SAFE_WORD = re.compile(r"[^\W_]+")


def search_page(
    session: Session,
    words: Sequence[str],
    *,
    now: datetime,
    where: FeedFilter,
    after: SearchPosition | None,
    limit: int,
) -> list[Row[uuid.UUID, datetime | None, float]]:
    """Public articles in which every word starts a word (any case), best first."""
    if not words or not all(SAFE_WORD.fullmatch(word) for word in words):
        raise ValueError(f"search words must be non-empty runs of letters/digits: {words!r}")
    backend = _backend(session)
    rows: list[Row[uuid.UUID, datetime | None, float]] = []
    for tier, position in _tiers_after(after):
        in_tier = backend(session, words, tier)
        if in_tier is not None:
            rows += _tier_page(
                session, words, in_tier, tier, now, where, position, limit - len(rows)
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


def _not_by_restricted_body(
    session: Session, words: Sequence[str], tier: int
) -> ColumnElement[bool]:
    """Public articles match anywhere; restricted ones only without their body. Tier 0 is
    body-only matches: none of them."""
    public = Article.visibility == ArticleVisibility.PUBLIC
    if tier == 0:
        return public
    surface = _SURFACE[session.get_bind().dialect.name](words)
    return or_(public, _has_translation(surface))


def _tier_page(
    session: Session,
    words: Sequence[str],
    in_tier: TierFilter,
    tier: int,
    now: datetime,
    where: FeedFilter,
    after: FeedPosition | None,
    limit: int,
) -> list[Row[uuid.UUID, datetime | None, float]]:
    rank = literal(float(tier), Double).label("rank")
    query = in_tier(public_query(now, where).add_columns(rank))
    query = query.where(_not_by_restricted_body(session, words, tier))
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


# ---- PostgreSQL: tsvector @@ tsquery ---------------------------------------------------

_PG_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
_PG_VECTORS: dict[int, ColumnElement[Any]] = {
    2: literal_column("article_translations.article_search_title"),
    1: literal_column("article_translations.article_search_excerpt"),
    0: literal_column("article_translations.article_search_vector"),  # all three fields
}


# Below this many translations estimated to match in a tier, list them from the index.
_PG_FEW = 2000


def _tsquery(words: Sequence[str], operator: str) -> ColumnElement[str]:
    # 'word':* is a prefix match. The words are SAFE_WORD runs: quoting needs no escaping.
    source = f" {operator} ".join(f"'{word}':*" for word in words)
    return func.to_tsquery(_PG_CONFIG, literal(source))


def _postgres_tier(session: Session, words: Sequence[str], tier: int) -> TierFilter:
    every_word = _PG_VECTORS[0].bool_op("@@")(_tsquery(words, "&"))

    def matches(t: int) -> ColumnElement[bool]:
        if t == 0:
            return every_word
        some_word = _PG_VECTORS[t].bool_op("@@")(_tsquery(words, "|"))
        # One word in the title implies it is in the whole vector: skip reading that.
        return some_word if len(words) == 1 else and_(some_word, every_word)

    higher = [not_(_has_translation(matches(t))) for t in TIERS if t > tier]
    if _pg_estimate(session, matches(tier)) >= _PG_FEW:  # common: walk the feed
        return _where(and_(_has_translation(matches(tier)), *higher))
    # Few: list them from the index first, then join and sort. The planner would often
    # walk the feed instead: it costs each article's test as if its translations were
    # cached and its vector small, and a rare word can mean walking every article.
    listed = (
        select(ArticleTranslation.article_id)
        .where(matches(tier))
        .cte("article_search_listed")
        .prefix_with("MATERIALIZED")
    )
    return _where(and_(Article.id.in_(select(listed.c.article_id)), *higher))


def _pg_estimate(session: Session, condition: ColumnElement[bool]) -> float:
    """The planner's estimate of how many translations meet `condition` (no execution)."""
    query = select(ArticleTranslation.id).where(condition)
    sql = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).scalar_one()
    return float(plan[0]["Plan"]["Plan Rows"])


def _where(condition: ColumnElement[bool]) -> TierFilter:
    return lambda query: query.where(condition)


# ---- SQLite: FTS5 MATCH ---------------------------------------------------------------

_FTS = table("article_search")
_FTS_NAME: ColumnElement[Any] = literal_column("article_search")
_FTS_ROWID: ColumnElement[Any] = literal_column("article_search.rowid")
# Up to this many translations in a tier, reading them all beats walking the feed.
_SQLITE_FEW = 1000


def _fts_tier_query(words: Sequence[str], tier: int) -> str:
    """FTS5 query for the translations whose best match is in `tier`."""
    # "word"* is a prefix phrase; adjacent phrases must all match (implicit AND).
    every_word = "(" + " ".join(f'"{word}"*' for word in words) + ")"
    some_word = "(" + " OR ".join(f'"{word}"*' for word in words) + ")"
    if tier == 2:
        return f"{every_word} AND ({{title}} : {some_word})"
    if tier == 1:
        return f"({every_word} AND ({{excerpt}} : {some_word})) NOT ({{title}} : {some_word})"
    return f"{every_word} NOT ({{title excerpt}} : {some_word})"


def _fts_match(words: Sequence[str], tier: int) -> ColumnElement[bool]:
    return _FTS_NAME.bool_op("MATCH")(literal(_fts_tier_query(words, tier)))


def _sqlite_tier(session: Session, words: Sequence[str], tier: int) -> TierFilter | None:
    def matches(t: int) -> ColumnElement[bool]:
        # `id + 0`: test each walked translation against the match list (built once),
        # rather than let SQLite seek every listed id for every article it walks.
        rowids = select(_FTS_ROWID).select_from(_FTS).where(_fts_match(words, t))
        return (ArticleTranslation.id + 0).in_(rowids)

    higher = [not_(_has_translation(matches(t))) for t in TIERS if t > tier]
    count = _sqlite_count(session, words, tier)
    if count == 0:
        return None
    if count >= _SQLITE_FEW:  # common: walk the feed
        return _where(and_(_has_translation(matches(tier)), *higher))

    hit = aliased(ArticleTranslation)  # not the one `higher` correlates

    def from_matches(query: PageQuery) -> PageQuery:
        # Few: start from the FTS rowids (SQLite drives a join from a MATCH), sort them.
        return (
            query.join(hit, hit.article_id == Article.id)
            .join(_FTS, hit.id == _FTS_ROWID)
            .where(_fts_match(words, tier), *higher)
            .distinct()  # an article whose two translations both match in this tier
        )

    return from_matches


def _sqlite_count(session: Session, words: Sequence[str], tier: int) -> int:
    """How many translations match best in `tier`, counting no further than _SQLITE_FEW."""
    rowids = select(_FTS_ROWID).select_from(_FTS).where(_fts_match(words, tier))
    listed = rowids.limit(_SQLITE_FEW).subquery()
    return session.execute(select(func.count()).select_from(listed)).scalar_one()


def _postgres_surface(words: Sequence[str]) -> ColumnElement[bool]:
    vector = _PG_VECTORS[2].op("||")(_PG_VECTORS[1])
    return vector.bool_op("@@")(_tsquery(words, "&"))


def _sqlite_surface(words: Sequence[str]) -> ColumnElement[bool]:
    every_word = " ".join(f'"{word}"*' for word in words)
    query = f"{{title excerpt}} : ({every_word})"
    rowids = select(_FTS_ROWID).select_from(_FTS).where(_FTS_NAME.bool_op("MATCH")(literal(query)))
    return (ArticleTranslation.id + 0).in_(rowids)


_BACKENDS: dict[str, Backend] = {"postgresql": _postgres_tier, "sqlite": _sqlite_tier}
_SURFACE: dict[str, SurfaceMatch] = {"postgresql": _postgres_surface, "sqlite": _sqlite_surface}
