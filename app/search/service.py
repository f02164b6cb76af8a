"""Search rules: what a query means, and paging through ranked results.

A query is plain words: everything that is not a letter or digit separates words, so no
input can reach the index as syntax. Every word must occur (any case) as the start of a
word in an article's title, excerpt or body (a restricted article: title or excerpt, its
body not being public), in any of its translations; the result is
given in the reader's language, like the feed. Matching is by prefix on the 'simple'
(unstemmed) index, because neither database stems Ukrainian: "ракет" finds "ракети",
"ракетами". To let a whole inflected Ukrainian word find its other forms, a Cyrillic word
loses one common inflectional ending first ("ракетами" searches "ракет*").
"""

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.articles.reading import Locale, feed_position, list_items
from app.articles.repository import FeedFilter
from app.core.errors import FieldError, ValidationFailed
from app.core.pagination import decode_cursor, encode_cursor, invalid_cursor, scope_of
from app.core.tokens import TokenSigner
from app.search import repository as repo
from app.search.schemas import SearchHit

MAX_WORDS = 16
# The modifier-letter apostrophe is a letter to Unicode but an apostrophe in Ukrainian
# ("обʼєкт"): split on it like on ' and ’, as the indexes do (see the migration).
_APOSTROPHE = "ʼ"
_CYRILLIC_WORD = re.compile(r"[а-яґєії]+")
# Ukrainian noun, adjective and verb endings, longest first; a stem keeps >= 4 letters.
_ENDINGS = (
    *("ами", "ями", "ого", "ому", "ими", "ові", "еві", "єві"),
    *("ій", "ий", "ої", "ою", "ею", "єю", "их", "іх", "им", "ім", "ах", "ях", "ам", "ям"),
    *("ів", "ов", "ом", "ем", "ти", "ла", "ли", "ло"),
    *("а", "я", "о", "е", "є", "у", "ю", "і", "и", "ї", "ь", "й"),
)
_MIN_STEM = 4


@dataclass(frozen=True)
class SearchPage:
    items: list[SearchHit]
    next_cursor: str | None


def search_words(q: str) -> list[str]:
    """The distinct words of `q`, lower-cased and trimmed, in order; 422 if none."""
    text = unicodedata.normalize("NFC", q).replace(_APOSTROPHE, " ").lower()
    words = list(dict.fromkeys(_trim_ending(word) for word in repo.SAFE_WORD.findall(text)))
    if not words:
        raise _invalid_q("Give at least one word: letters or digits.")
    if len(words) > MAX_WORDS:
        raise _invalid_q(f"Give at most {MAX_WORDS} words.")
    return words


def _trim_ending(word: str) -> str:
    if not _CYRILLIC_WORD.fullmatch(word):
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


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
) -> SearchPage:
    words = search_words(q)
    cursor_scope = scope_of(kind="search", words=words, **scope)
    after = _position(decode_cursor(signer, cursor, cursor_scope, 3)) if cursor else None
    rows = repo.search_page(
        session, words, now=locale.now, where=where, after=after, limit=limit + 1
    )
    more = len(rows) > limit
    rows = rows[:limit]
    items = list_items(session, [row.id for row in rows], locale, with_body=with_body)
    hits = [
        SearchHit(**item.model_dump(), rank=row.rank) for row, item in zip(rows, items, strict=True)
    ]

    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(
            signer, cursor_scope, [last.rank, last.published_at.isoformat(), str(last.id)]
        )
    return SearchPage(items=hits, next_cursor=next_cursor)


def _position(raw: list[Any]) -> repo.SearchPosition:
    rank = raw[0]
    if isinstance(rank, bool) or not isinstance(rank, int | float) or not math.isfinite(rank):
        raise invalid_cursor()
    if not 0 <= rank < max(repo.TIERS) + 1:
        raise invalid_cursor()
    return (float(rank), *feed_position(raw[1:]))
