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
_ITEM = re.compile(rf'"(?P<phrase>[^"]*)"|(?P<word>{analysis.WORD.pattern})(?P<star>\*?)')

Terms = tuple[str, ...]
Tokens = tuple[str, ...]


@dataclass(frozen=True)
class Query:
    """A parsed query: each item must match; `size` counts its words."""

    words: tuple[Terms, ...]  # per word, the terms any of which matches it
    phrases: tuple[Tokens, ...]  # raw tokens, adjacent and in order
    prefixes: tuple[Tokens, ...]  # raw tokens in order, the last one a prefix

    @property
    def size(self) -> int:
        raw = sum(len(tokens) for tokens in (*self.phrases, *self.prefixes))
        return len(self.words) + raw

    @property
    def raw_items(self) -> tuple[tuple[Tokens, bool], ...]:
        """(tokens, is a prefix) of each raw-text item."""
        return (
            *((tokens, False) for tokens in self.phrases),
            *((tokens, True) for tokens in self.prefixes),
        )

    def key(self) -> list[str]:
        """A canonical form (what a cursor is bound to)."""
        return [
            *(" ".join(terms) for terms in self.words),
            *(f'"{" ".join(tokens)}"' for tokens in self.phrases),
            *(f"{' '.join(tokens)}*" for tokens in self.prefixes),
        ]


def raw_tokens(text: str) -> Tokens:
    return tuple(RAW_TOKEN.findall(text.replace("ʼ", " ")))


def parse(q: str) -> Query:
    text = unicodedata.normalize("NFC", q).lower()
    words: dict[Terms, None] = {}
    phrases: dict[Tokens, None] = {}
    prefixes: dict[Tokens, None] = {}
    for match in _ITEM.finditer(text):
        if match["phrase"] is not None:
            tokens = raw_tokens(match["phrase"])
            if tokens:
                phrases[tokens] = None
        elif match["star"]:
            prefixes[raw_tokens(match["word"])] = None
        else:
            words[analysis.query_terms(match["word"])] = None
    return Query(tuple(words), tuple(phrases), tuple(prefixes))
