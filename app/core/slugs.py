"""URL slugs from titles. Cyrillic follows Ukraine's national romanization (KMU 2010)."""

import re
import unicodedata
from functools import lru_cache

from slugify import slugify
from unidecode import unidecode

MAX_SLUG_LENGTH = 120
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

# Unidecode's Cyrillic table is Russian-flavoured; these are where Ukrainian differs.
_UK_REPLACEMENTS = [["Г", "H"], ["г", "h"], ["Ґ", "G"], ["ґ", "g"], ["И", "Y"], ["и", "y"]]
# At the start of a word Є, Ї, Й, Ю, Я romanize as Ye, Yi, Y, Yu, Ya (elsewhere ie, i, i, iu, ia).
_WORD_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_WORD_INITIAL_RE = re.compile(r"\b([єїйюяЄЇЙЮЯ])")
# The apostrophe inside a word (в'їзд) is dropped and does not start a new word.
_APOSTROPHES_RE = re.compile(r"(?<=\w)['’ʼ`](?=\w)")


def _transliteration_table() -> dict[int, str]:
    """Unidecode's own output (after NFKD, as slugify applies it) for Cyrillic, Latin-1 and
    punctuation, applied with str.translate: unidecode maps one character at a time, so the
    slug is the same, but made in C rather than a Python loop per character (10x faster).
    Apostrophes are left out: slugify drops those it meets after transliterating."""
    chars = [*range(0x00A0, 0x0100), *range(0x0400, 0x0530), *range(0x2010, 0x205F)]
    return {c: unidecode(unicodedata.normalize("NFKD", chr(c))).replace("'", "") for c in chars}


_TRANSLITERATION = _transliteration_table()


@lru_cache(maxsize=4096)  # an import batch slugifies each title twice
def slugify_title(title: str, max_length: int = MAX_SLUG_LENGTH) -> str:
    text = _APOSTROPHES_RE.sub("", title)
    text = _WORD_INITIAL_RE.sub(lambda m: _WORD_INITIAL[m.group(1).lower()], text)
    for old, new in _UK_REPLACEMENTS:
        text = text.replace(old, new)
    text = text.translate(_TRANSLITERATION)
    slug = slugify(
        text,
        max_length=max_length,
        word_boundary=True,
        replacements=_UK_REPLACEMENTS,
    )
    return slug or "article"


def with_suffix(slug: str, n: int) -> str:
    """`slug-2`, `slug-3`, ... trimmed so the result still fits."""
    suffix = f"-{n}"
    return slug[: MAX_SLUG_LENGTH - len(suffix)].rstrip("-") + suffix


def suffix_base(slug: str) -> str:
    """What `slug` and every `with_suffix(slug, n)` (n < 10**6) start with: for a slug of
    full length the suffix replaces its end, so `slug-%` would not find them."""
    return slug[: MAX_SLUG_LENGTH - 7].rstrip("-")


def is_suffixed(slug: str, stem: str) -> bool:
    """Whether `slug` is `with_suffix(stem, n)` for some n >= 2."""
    _, _, number = slug.rpartition("-")
    return number.isdigit() and int(number) >= 2 and with_suffix(stem, int(number)) == slug
