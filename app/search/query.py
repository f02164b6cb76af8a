"""What a search query means: words, "exact phrases" and prefix* searches.

- A word matches any form of any of its lemmas (analysis.query_terms): "року" finds "рік",
  "році", "років"; "countries" finds "country". Never a mere prefix: "Україна" does not
  find "українських".
- "Words in double quotes" match those exact words in that order (any case), in the raw
  text: names and fixed expressions. An unclosed quote is ignored.
- A word ending in `*` (`прав*`) matches the words that start with it, in the raw text.

Every item must match in one translation. Anything else (punctuation, operators) only
separates words, so no input reaches an index as syntax: items hold only runs of letters
and digits.
"""

import re
import unicodedata
from dataclasses import dataclass

from app.search import analysis

# A raw-text token, as both databases' tokenizers cut the text (ʼ splits like ' and ’).
RAW_TOKEN = re.compile(r"[^\W_]+")
# Raw tokens joined by hyphens as written: PostgreSQL's parser indexes "єр-міністр" as a
# compound and its parts, and a phrase must be parsed the same way to match it.
_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_ITEM = re.compile(rf'"(?P<phrase>[^"]*)"|(?P<word>{analysis.WORD.pattern})(?P<star>\*?)')

Terms = tuple[str, ...]
Tokens = tuple[str, ...]


@dataclass(frozen=True)
class RawItem:
    """A phrase or prefix search on the raw words."""

    tokens: Tokens  # the raw tokens, adjacent and in order
    text: str  # the same as letters, digits, hyphens and spaces only (PostgreSQL's phrase)
    prefix: bool  # the last token is only the start of a word


@dataclass(frozen=True)
class Query:
    """A parsed query: each item must match; `size` counts its words."""

    words: tuple[Terms, ...]  # per word, the terms any of which matches it
    raw_items: tuple[RawItem, ...]  # phrases and prefixes

    @property
    def size(self) -> int:
        return len(self.words) + sum(len(item.tokens) for item in self.raw_items)

    def key(self) -> list[str]:
        """A canonical form (what a cursor is bound to)."""
        return [
            *(" ".join(terms) for terms in self.words),
            *(f'"{item.text}"' + ("*" if item.prefix else "") for item in self.raw_items),
        ]


def raw_tokens(text: str) -> Tokens:
    return tuple(RAW_TOKEN.findall(text.replace("ʼ", " ")))


def _raw_item(text: str, prefix: bool) -> RawItem | None:
    tokens = raw_tokens(text)
    if not tokens:
        return None
    return RawItem(tokens, " ".join(_HYPHENATED.findall(text.replace("ʼ", " "))), prefix)


def parse(q: str) -> Query:
    text = unicodedata.normalize("NFC", q).lower()
    words: dict[Terms, None] = {}
    raw: dict[RawItem, None] = {}
    for match in _ITEM.finditer(text):
        if match["phrase"] is not None or match["star"]:
            phrase = match["phrase"] is not None
            item = _raw_item(match["phrase"] if phrase else match["word"], not phrase)
            if item is not None:
                raw[item] = None
        else:
            words[analysis.query_terms(match["word"])] = None
    return Query(tuple(words), tuple(raw))
