"""Which language a response is in: `lang=`, else Accept-Language, else the site default."""

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


def negotiate_lang(
    explicit: str | None, accept_language: str | None, supported: Iterable[str], default: str
) -> str:
    """The response language. An explicit `lang=` wins even if the site has no such language."""
    if explicit:
        return normalize_lang(explicit)
    supported_set = {normalize_lang(s) for s in supported}
    for wanted in parse_accept_language(accept_language or ""):
        if wanted == "*":
            return default
        if wanted in supported_set:
            return wanted
        primary = wanted.split("-")[0]
        if primary in supported_set:
            return primary
    return default


def localized(names: Mapping[str, str], lang: str, default: str, fallback: str) -> str:
    """A name in `lang`, else in the site default, else any, else `fallback` (the slug)."""
    if lang in names:
        return names[lang]
    if default in names:
        return names[default]
    return next(iter(sorted(names.items())), ("", fallback))[1]
