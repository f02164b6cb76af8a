"""Splitting text into words takes a fast path for tokens that are plainly one word; it
must find exactly the words the WORD pattern finds, whatever the text (so imports index
what queries look up)."""

import json
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.search.analysis import _EDGES, WORD, words

# Letters, digits, apostrophes, punctuation and spaces of both scripts, and the odd ones:
# underscore, combining marks, zero-width and no-break spaces, superscripts.
_ALPHABET = st.sampled_from(
    list("abcXYZ019 \t\n'’ʼ\".,;:!?()«»—–-…/*_")
    + list("абвгґєіїщЬЯ")
    + ["\u0301", "\u200b", "\u00a0", "²", "½", "ǅ", "e\u0301", "ß", "İ"]
)


def _expected(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).lower())


@settings(max_examples=500, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_words_are_the_pattern_s_matches(text: str) -> None:
    assert words(text) == _expected(text)


def test_words_of_real_news(shared_data_dir: Path) -> None:
    for line in (shared_data_dir / "ntrex-en-uk.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        for lang in ("en", "uk"):
            for text in (doc[lang]["title"], doc[lang]["body"]):
                assert words(text) == _expected(text)


def test_edge_punctuation_is_never_part_of_a_word() -> None:
    assert [c for c in _EDGES if WORD.fullmatch(c)] == []
