"""Search rules: what a query means (app.search.query), and paging through ranked results
with a snippet of each hit.

Words are matched by lemma (app.search.analysis): every form of a word finds every form of
its lemmas, in any translation; "exact phrases" and prefix* searches match the raw words.
A restricted article is found only by its title and excerpt (its body is not public), and
its snippet never quotes the body. The result is given in the reader's language, like the
feed.
"""

import math
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.articles import fragments
from app.articles.fragments import StoredItem
from app.articles.reading import feed_position
from app.articles.rendering import Locale
from app.articles.repository import FeedFilter
from app.core.errors import FieldError, ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor, invalid_cursor, scope_of
from app.core.tokens import TokenSigner
from app.search import repository as repo
from app.search.budget import Stop, bounded
from app.search.query import Query, parse
from app.search.snippets import BODY_CHARS, snippet, snippet_sources

MAX_WORDS = 16
# A prefix* needs this many letters or digits: a shorter one matches a large share of all
# words (every one starting with `a`), which costs as much as reading the index.
MIN_PREFIX = 3


@dataclass(frozen=True)
class Hit:
    item: StoredItem
    rank: float
    snippet: str | None

    def json(self, fields: set[str]) -> bytes:
        """The item, then its rank and snippet (schemas.SearchHit)."""
        return self.item.json(fields, {"rank": self.rank, "snippet": self.snippet})


@dataclass(frozen=True)
class SearchPage:
    items: list[Hit]
    next_cursor: str | None


def search_query(q: str) -> Query:
    """The parsed query; 422 if it has no word, or too many."""
    query = parse(q)
    if query.size == 0:
        raise _invalid_q("Give at least one word: letters or digits.")
    if query.size > MAX_WORDS:
        raise _invalid_q(f"Give at most {MAX_WORDS} words.")
    if any(item.prefix and len(item.tokens[-1]) < MIN_PREFIX for item in query.raw_items):
        raise _invalid_q(
            f"Give a prefix* at least {MIN_PREFIX} letters or digits long: a shorter one "
            "matches too many words."
        )
    return query


def _invalid_q(message: str) -> ValidationFailed:
    return ValidationFailed(
        f"Invalid value for: q. {message}", errors=[FieldError(field="q", message=message)]
    )


def search(
    session: Session,
    locale: Locale,
    q: str,
    where: FeedFilter,
    *,
    cursor: str | None,
    limit: int,
    scope: dict[str, Any],
    signer: TokenSigner,
    with_body: bool = False,
    with_snippet: bool = True,
    budget_ms: int,
    stop: Stop | None = None,
) -> SearchPage:
    """`budget_ms` bounds the search's statements (budget.bounded); `stop` ends them early."""
    query = search_query(q)
    cursor_scope = scope_of(kind="search", words=query.key(), **scope)
    after = _position(decode_cursor(signer, cursor, cursor_scope, 3)) if cursor else None
    with bounded(session, budget_ms, stop):
        rows = repo.search_page(
            session, query, now=locale.now, where=where, after=after, limit=limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [row.id for row in rows]
    items = fragments.listed_items(session, ids, locale.lang, with_body=with_body)
    snippets = (
        _snippets(session, query, [(item.id, item.lang) for item in items]) if with_snippet else {}
    )
    hits = [
        Hit(item, row.rank, snippets.get((item.id, item.lang)))
        for row, item in zip(rows, items, strict=True)
    ]

    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(
            signer, cursor_scope, [last.rank, last.published_at.isoformat(), str(last.id)]
        )
    return SearchPage(items=hits, next_cursor=next_cursor)


def _snippets(
    session: Session, query: Query, shown: list[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], str | None]:
    """Each hit's snippet, from the translation it is shown in."""
    texts = repo.snippet_texts(session, shown, body_chars=BODY_CHARS)
    return {
        key: snippet(
            key[1], query, snippet_sources(excerpt, body or "", body_visible=body is not None)
        )
        for key, (excerpt, body) in texts.items()
    }


def _position(raw: list[Any]) -> repo.SearchPosition:
    rank = raw[0]
    if isinstance(rank, bool) or not isinstance(rank, int | float) or not math.isfinite(rank):
        raise invalid_cursor()
    if not 0 <= rank < max(repo.TIERS) + 1:
        raise invalid_cursor()
    return (float(rank), *feed_position(raw[1:]))
