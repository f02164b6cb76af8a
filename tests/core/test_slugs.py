"""Slugs: the fast transliteration gives exactly what python-slugify + unidecode give."""

import json
from pathlib import Path

import pytest
from slugify import slugify

from app.core.slugs import (
    _APOSTROPHES_RE,
    _UK_REPLACEMENTS,
    _WORD_INITIAL,
    _WORD_INITIAL_RE,
    slugify_title,
)


def _reference(title: str) -> str:
    """slugify_title before the translate() fast path: the oracle."""
    text = _APOSTROPHES_RE.sub("", title)
    text = _WORD_INITIAL_RE.sub(lambda m: _WORD_INITIAL[m.group(1).lower()], text)
    slug = slugify(text, max_length=120, word_boundary=True, replacements=_UK_REPLACEMENTS)
    return slug or "article"


TRICKY = [
    "Сіль, Польща і в'їзд: зʼїзд «Слуги народу» — 5½ років",
    "Наголо́шені лі́тери та й + и + ї (combining: и\u0306, ї)",
    "Об'єднання, Ґанок, ГУР, Щастя, Ьь Ъъ Ёё Ўў Ѣ",
    "AT&amp;T · Café naïve — “quotes” … №5 • 10–20 ‘x’",
    'Ukraine\'s Zelensky: "peace" talks in 2024/25?',
    "",
]


@pytest.mark.parametrize("title", TRICKY)
def test_tricky_titles_slugify_as_before(title: str) -> None:
    assert slugify_title(title) == _reference(title)


def test_every_real_headline_slugifies_as_before(shared_data_dir: Path) -> None:
    text = (shared_data_dir / "ntrex-en-uk.jsonl").read_text(encoding="utf-8")
    docs = [json.loads(line) for line in text.splitlines()]
    titles = [doc[lang]["title"] for doc in docs for lang in ("en", "uk")]
    assert [slugify_title(t) for t in titles] == [_reference(t) for t in titles]
