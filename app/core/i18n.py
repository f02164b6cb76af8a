"""Which language a response is in: `lang=`, else Accept-Language, else the site default.

One negotiation serves the response cache's key (app.core.caching) and the routes
(app.core.deps), so a cached answer is always in the language the route would give."""

import re
from collections.abc import Iterable, Mapping

# BCP 47, loosely: a primary subtag and optional subtags ("uk", "en-GB", "zh-Hant-TW").
LANG_PATTERN = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$"
_LANG_RE = re.compile(LANG_PATTERN)
_QVALUE_RE = re.compile(r"^(0(\.\d{0,3})?|1(\.0{0,3})?)$")


def normalize_lang(tag: str) -> str:
    """`EN-gb` -> `en-gb`: BCP 47 tags compare case-insensitively; we store them lower-case."""
    return tag.strip().lower()


def is_valid_lang(tag: str) -> bool:
    return bool(_LANG_RE.match(tag))


def parse_accept_language(header: str) -> list[str]:
    """Language ranges by preference (RFC 9110 §12.5.4); malformed parts are skipped."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:50]):
        pieces = [p.strip() for p in part.split(";")]
        tag = pieces[0]
        if not tag or (tag != "*" and not is_valid_lang(tag)):
            continue
        quality = 1.0
        for param in pieces[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE_RE.match(value) else -1.0
        if quality > 0:
            weighted.append((-quality, index, normalize_lang(tag)))
    return [tag for _, _, tag in sorted(weighted)]


def lookup(tag: str, site: Iterable[str]) -> str | None:
    """RFC 4647 lookup: `tag`, else its ever shorter prefixes (`uk-Cyrl-UA`, `uk-cyrl`,
    `uk`), among the site's languages; None if none matches."""
    site_set = {normalize_lang(s) for s in site}
    wanted = normalize_lang(tag)
    while wanted:
        if wanted in site_set:
            return wanted
        wanted = wanted.rpartition("-")[0]
    return None


def negotiate_lang(
    explicit: str | None, accept_language: str | None, site: Iterable[str], default: str
) -> str | None:
    """The response language: the explicit `lang=` looked up among the site's languages
    (None when it is none of them: the client's 400), else the first Accept-Language range
    that one matches, else the site default. `accept_language` holds every line of the
    header, joined with commas (RFC 9110 §5.3): the cache key and the routes read it so."""
    langs = list(site)
    if explicit is not None:
        return lookup(explicit, langs)
    for wanted in parse_accept_language(accept_language or ""):
        if wanted == "*":
            return default
        found = lookup(wanted, langs)
        if found is not None:
            return found
    return default


def joined_header(values: Iterable[str]) -> str | None:
    """Every line of a repeated header as one value (RFC 9110 §5.3), None if absent."""
    lines = list(values)
    return ", ".join(lines) if lines else None


def localized(names: Mapping[str, str], langs: Iterable[str], fallback: str) -> str:
    """A name in the first of `langs` it has, else in any (the first by tag), else
    `fallback` (the slug)."""
    for lang in langs:
        if lang in names:
            return names[lang]
    return next(iter(sorted(names.items())), ("", fallback))[1]
