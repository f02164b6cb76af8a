"""Words to search terms: Ukrainian lemmas (pymorphy3), Snowball stems for the rest.

The index and the query meet on terms, never on raw words. A translation's words are
analysed by its language: Ukrainian words become every dictionary form they can be a form
of (pymorphy3 with pymorphy3-dicts-uk: "року" -> "рік" and "рок"; an unknown word gets
the analyser's guesses), words of a language Snowball has (PyStemmer: English, Polish,
German, French, ...) their Snowball stem ("countries" -> "countri", "wojska" -> "wojsk").
A Ukrainian text quoting a Latin-script word ("sanctions") stems it as English; a language
Snowball lacks is only lower-cased. A query word is analysed every way at once (Ukrainian,
English, each other language of the site, and as it is), so whatever analyser indexed a
form, the same form in a query finds it, and every other form with a lemma in common.

Terms are runs of letters and digits, lower case, with no apostrophe ("об'єкт" ->
"обєкт"), at most MAX_TERM characters: each database's tokenizer reads a term as exactly
one token. The analysis of a word is cached (bounded), which is what keeps imports fast:
news repeats its words.
"""

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache, partial
from itertools import chain
from typing import TYPE_CHECKING

from app.core.html import sanitized_to_plain_text

if TYPE_CHECKING:  # the analysers load on first use: a server that never searches or
    import pymorphy3  # writes never holds their modules or the dictionary
    import Stemmer

# Longest term kept: a longer word is cut to this (alike in the index and the query).
MAX_TERM = 100
# Characters of each field analysed (as the raw-text index reads them, migration 51489ec14a04).
FIELD_LIMITS = {"title": 1000, "excerpt": 10_000, "body": 100_000}
# Words whose analysis is remembered, per analyser: the words of a few years of news.
CACHE_WORDS = 100_000

# A word: letters and digits, apostrophes inside it included ("об'єкт", "don't").
WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*")
_APOSTROPHES = re.compile(r"['’ʼ]")
_TERM_CHARS = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[а-яёіїєґ]")


# Characters that are never part of a word, often stuck to one ("word," "«word»"): none is
# alphanumeric (the modifier-letter apostrophe ʼ is a letter, so it is not here).
_EDGES = "'’\".,;:!?()[]{}«»„“”‘—–-…/*"


def words(text: str) -> list[str]:
    """The words of plain text, lower-cased (NFC): WORD.findall, but a whitespace-separated
    token that is one word once its edge punctuation is off (most are) skips the regex,
    which tests every character's Unicode class in Python's engine, twice as slow. Same
    result: a word never spans whitespace, and str.isalnum is the regex's word character
    (less the underscore)."""
    found: list[str] = []
    add, findall = found.append, WORD.findall
    for token in unicodedata.normalize("NFC", text).lower().split():
        core = token.strip(_EDGES)
        if core.isalnum():
            add(core)
        elif core:
            found += findall(core)
    return found


# Requests and imports analyse on many threads. One MorphAnalyzer is shared (its dictionary
# is large), made and called under a lock (only on a cache miss); a Stemmer holds
# per-call state, so each thread has its own.
_MORPH_LOCK = threading.Lock()
_THREAD = threading.local()


@lru_cache(maxsize=1)
def _morph() -> "pymorphy3.MorphAnalyzer":
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="uk")


def _lemmas(word: str) -> list[str]:
    with _MORPH_LOCK:
        return [parse.normal_form for parse in _morph().parse(word)]


# Snowball's algorithms by ISO 639-1 language, those PyStemmer 3 has (its "porter" and
# "dutch_porter" are older variants; Ukrainian has pymorphy3 instead).
SNOWBALL = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "eo": "esperanto",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "st": "sesotho",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}


def _stemmer(algorithm: str) -> "Stemmer.Stemmer":
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_THREAD, "stemmers", None)
    if stemmers is None:
        stemmers = _THREAD.stemmers = {}
    stemmer = stemmers.get(algorithm)
    if stemmer is None:
        stemmer = stemmers[algorithm] = _new_stemmer(algorithm)
    return stemmer


def _new_stemmer(algorithm: str) -> "Stemmer.Stemmer":
    import Stemmer

    return Stemmer.Stemmer(algorithm)


@lru_cache(maxsize=1)
def _algorithms() -> frozenset[str]:
    import Stemmer

    return frozenset(Stemmer.algorithms())


def _term(word: str) -> str:
    # Letters and digits only, whatever an analyser returned: a term reaches the indexes
    # and the queries as one token and can carry no syntax.
    return "".join(_TERM_CHARS.findall(_APOSTROPHES.sub("", word)))[:MAX_TERM]


class _Cached:
    """An analyser remembering up to CACHE_WORDS words (then it forgets them all: news
    repeats its words, so the cache fills again at once). A dict, not functools.lru_cache:
    a hit is a dict lookup, which is most of what analysing a text costs."""

    def __init__(self, compute: Callable[[str], tuple[str, ...]]) -> None:
        self.compute = compute
        self.known: dict[str, tuple[str, ...]] = {}

    def __call__(self, word: str) -> tuple[str, ...]:
        terms = self.known.get(word)
        if terms is None:
            terms = self.compute(word)
            if len(self.known) >= CACHE_WORDS:
                self.known.clear()
            self.known[word] = terms
        return terms

    def many(self, words: Iterable[str]) -> list[tuple[str, ...]]:
        words = list(words)
        found = list(map(self.known.get, words))  # in C: no Python frame per word
        if not all(found):  # a miss (None); terms are never an empty tuple
            found = [terms or self(word) for word, terms in zip(words, found, strict=True)]
        return found  # type: ignore[return-value]

    def cache_clear(self) -> None:
        self.known.clear()


def as_is(word: str) -> tuple[str, ...]:
    """The word itself as a term (languages without an analyser)."""
    return (_term(word),)


def _stem(algorithm: str, word: str) -> tuple[str, ...]:
    """The word's Snowball stem ("english": Porter 2)."""
    return (_term(_stemmer(algorithm).stemWord(_term(word))),)


def _ukrainian(word: str) -> tuple[str, ...]:
    """Every lemma the word can be a form of; a word without Cyrillic letters is stemmed as
    English (Ukrainian news quotes English names and terms)."""
    if not _CYRILLIC.search(word):
        return english(word)
    parsed = _lemmas(_APOSTROPHES.sub("'", word[:MAX_TERM]))
    lemmas = tuple(dict.fromkeys(term for lemma in parsed if (term := _term(lemma))))
    return lemmas or (_term(word),)


english = _Cached(partial(_stem, "english"))
ukrainian = _Cached(_ukrainian)
verbatim = _Cached(as_is)
_ANALYSERS: dict[str, _Cached] = {"uk": ukrainian, "en": english}
_ANALYSERS_LOCK = threading.Lock()


def analyser(lang: str) -> _Cached:
    """The analyser of a translation's language (BCP 47: "en-GB" is English, "pl-PL"
    Polish): pymorphy3's, Snowball's, or none (`verbatim`)."""
    primary = lang.split("-")[0].lower()
    found = _ANALYSERS.get(primary)
    if found is None:
        algorithm = SNOWBALL.get(primary)
        if algorithm is None or algorithm not in _algorithms():
            return verbatim
        with _ANALYSERS_LOCK:  # one cache per language, whichever thread asks first
            found = _ANALYSERS.setdefault(primary, _Cached(partial(_stem, algorithm)))
    return found


# The languages a query word is analysed as besides Ukrainian and English: the site's
# (search sets them for its request, query_languages).
_QUERY_LANGS: ContextVar[tuple[str, ...]] = ContextVar("query_langs", default=())


@contextmanager
def query_languages(langs: Iterable[str]) -> Iterator[None]:
    """Within it, query_terms analyses a word as each of `langs` too (the site's)."""
    token = _QUERY_LANGS.set(tuple(langs))
    try:
        yield
    finally:
        _QUERY_LANGS.reset(token)


def query_terms(word: str) -> tuple[str, ...]:
    """A query word's terms: what any analyser makes of it, so it finds its own form in a
    translation of any of the site's languages, and every form sharing a lemma with it."""
    others = (analyser(lang) for lang in _QUERY_LANGS.get())
    analysers = dict.fromkeys((ukrainian, english, *others, verbatim))
    return tuple(dict.fromkeys(chain.from_iterable(analyse(word) for analyse in analysers)))


def terms(lang: str, text: str, analyse: _Cached | None = None) -> str:
    """The distinct terms of plain text in `lang` (by `analyse`, else its language's
    analyser), in order of first use, space-separated: what the lemma columns hold."""
    # Each distinct word looked up once; the loops run in C (imports do this for every line).
    analysed = (analyse or analyser(lang)).many(dict.fromkeys(words(text)))
    return " ".join(dict.fromkeys(chain.from_iterable(analysed)))


def index_columns(
    lang: str, title: str, excerpt: str, body: str, analyse: _Cached | None = None
) -> dict[str, str]:
    """The lemma columns of a translation (body: sanitized HTML), for every write path."""
    text = {"title": title, "excerpt": excerpt, "body": sanitized_to_plain_text(body)}
    return {
        f"lemmas_{name}": terms(lang, text[name][:limit], analyse)
        for name, limit in FIELD_LIMITS.items()
    }


def warm() -> None:
    """Load the dictionary now (a fraction of a second) rather than on the first write."""
    _lemmas("слово")
