"""All SQL for full-text search: one query shape, two index backends.

Each backend turns search words into `(translation id, rank)` rows, one per matching
translation, from the index the migration `51489ec14a04` built (PostgreSQL: the generated
tsvector column `article_search_vector`; SQLite: the FTS5 table `article_search`). What
they share happens here once: only public articles, the feed's filters, one row per
article (its best translation), keyset order by (rank, published_at, id).

rank = tier + s / (1 + s): `tier` is where a word matched (2 title, 1 excerpt, 0 body), so
a title match always outranks a body-only one; `s` >= 0 is the backend's weighted score
(PostgreSQL ts_rank, SQLite bm25; title:excerpt:body weighted 5:2:1 on both), squashed
into [0, 1) so it orders matches within a tier only.
"""

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
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    table,
    tuple_,
    type_coerce,
)
from sqlalchemy.orm import Session

from app.articles.repository import FeedFilter, public_query
from app.models import Article, ArticleTranslation

SearchPosition = tuple[float, datetime, uuid.UUID]
# (article_translations.id, rank) of every translation that matches all the words.
Backend = Callable[[Sequence[str]], Select[int, float]]

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
    # MATERIALIZED: ranks are computed once per matching translation, whatever join plan
    # the database picks (with stale statistics PostgreSQL would rerun them per article),
    # and SQLite's bm25() stays in the query that scans its MATCH.
    hits = _backend(session)(words).cte("article_search_hits").prefix_with("MATERIALIZED")
    best = (
        select(ArticleTranslation.article_id, func.max(hits.c.rank).label("rank"))
        .join(hits, hits.c.id == ArticleTranslation.id)
        .group_by(ArticleTranslation.article_id)
        .cte("article_search_best")
        .prefix_with("MATERIALIZED")
    )
    query = (
        public_query(now, where)
        .add_columns(best.c.rank)
        .join(best, best.c.article_id == Article.id)
    )
    if after is not None:
        query = query.where(tuple_(best.c.rank, Article.published_at, Article.id) < tuple_(*after))
    query = query.order_by(
        best.c.rank.desc(), Article.published_at.desc(), Article.id.desc()
    ).limit(limit)
    return list(session.execute(query).all())


def _backend(session: Session) -> Backend:
    dialect = session.get_bind().dialect.name
    if dialect not in _BACKENDS:
        raise NotImplementedError(f"full-text search is not built for {dialect}")
    return _BACKENDS[dialect]


def _ranked(tier: ColumnElement[int], score: ColumnElement[float]) -> ColumnElement[float]:
    return (type_coerce(tier, Double) + score / (1.0 + score)).label("rank")


# ---- PostgreSQL: tsvector @@ tsquery ---------------------------------------------------

_PG_VECTOR: ColumnElement[Any] = literal_column("article_translations.article_search_vector")
_PG_CONFIG: ColumnElement[Any] = literal_column("'simple'::regconfig")
# ts_rank weights in {D, C, B, A} order: body (C) 0.2, excerpt (B) 0.4, title (A) 1.0.
_PG_WEIGHTS: ColumnElement[Any] = literal_column("'{0.1, 0.2, 0.4, 1.0}'::float4[]")


def _tsquery(words: Sequence[str], operator: str, weight: str = "") -> ColumnElement[str]:
    # 'word':* is a prefix match; 'word':*A one that must lie in weight-A (title) text.
    # The words are SAFE_WORD runs, so quoting them needs no escaping.
    source = f" {operator} ".join(f"'{word}':*{weight}" for word in words)
    return func.to_tsquery(_PG_CONFIG, literal(source))


def _postgres_hits(words: Sequence[str]) -> Select[int, float]:
    def matches(tsquery: ColumnElement[str]) -> ColumnElement[bool]:
        return _PG_VECTOR.bool_op("@@")(tsquery)

    tier = case(
        (matches(_tsquery(words, "|", "A")), 2),
        (matches(_tsquery(words, "|", "B")), 1),
        else_=0,
    )
    # float8: the value round-trips exactly through a cursor (float4 would not).
    score = cast(func.ts_rank(_PG_WEIGHTS, _PG_VECTOR, _tsquery(words, "|")), Double)
    return select(ArticleTranslation.id, _ranked(tier, score)).where(matches(_tsquery(words, "&")))


# ---- SQLite: FTS5 MATCH + bm25 ------------------------------------------------------

_FTS = table("article_search")
_FTS_NAME: ColumnElement[Any] = literal_column("article_search")
_FTS_ROWID: ColumnElement[Any] = literal_column("article_search.rowid")


def _bm25(title: float, excerpt: float, body: float) -> ColumnElement[float]:
    # bm25() is negative, more negative = better; 0 when no word hit a weighted column.
    return func.bm25(_FTS_NAME, literal(title), literal(excerpt), literal(body), type_=Double)


def _sqlite_hits(words: Sequence[str]) -> Select[int, float]:
    # "word"* is a prefix phrase; adjacent phrases must all match (implicit AND).
    fts_query = " ".join(f'"{word}"*' for word in words)
    tier = case((_bm25(1, 0, 0) < 0, 2), (_bm25(0, 1, 0) < 0, 1), else_=0)
    score = -_bm25(5, 2, 1)
    return (
        select(_FTS_ROWID.label("id"), _ranked(tier, score))
        .select_from(_FTS)
        .where(_FTS_NAME.bool_op("MATCH")(literal(fts_query)))
    )


_BACKENDS: dict[str, Backend] = {"postgresql": _postgres_hits, "sqlite": _sqlite_hits}
