"""Body HTML is sanitized on every write with ammonia (nh3): what is stored is safe to render."""

import html as html_lib
import re

import nh3

_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"figure", "figcaption", "picture", "source"}
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **nh3.ALLOWED_ATTRIBUTES,
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "source": {"srcset", "type", "media"},
    "*": {"lang", "dir"},
}


_URL_SCHEMES = {"http", "https", "mailto"}
_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
# What a browser ignores in a URL before it reads the scheme ("jav&#9;ascript:").
_URL_IGNORED_RE = re.compile(r"[\x00-\x20\x7f]+")


def _safe_srcset(value: str) -> bool:
    """Ammonia checks the schemes of href and src but not of srcset's candidate list."""
    for candidate in value.split(","):
        url = _URL_IGNORED_RE.sub(" ", candidate).strip().split(" ")[0]
        scheme = _SCHEME_RE.match(_URL_IGNORED_RE.sub("", url))
        if scheme and scheme.group(1).lower() not in _URL_SCHEMES:
            return False
    return True


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "srcset" and not _safe_srcset(value):
        return None
    return value


# Built once: passing the options to nh3.clean() converts them on every call (2.5x slower).
_SANITIZER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    url_schemes=_URL_SCHEMES,
    link_rel="noopener noreferrer",
)
_TAG_STRIPPER = nh3.Cleaner(tags=set())


# html5ever repairs mis-nested markup (a table inside a list term, a block inside <p>) into
# a tree whose serialization it would repair again, differently; a few passes reach markup
# that cleans to itself. Real bodies settle in one or two.
_MAX_PASSES = 6


def sanitize_html(html: str) -> str:
    """Safe HTML that sanitizes to itself: what is stored is a fixed point, so re-importing
    or re-saving a body never changes it (and never marks the article changed)."""
    clean = str(_SANITIZER.clean(html))
    for _ in range(_MAX_PASSES):
        again = str(_SANITIZER.clean(clean))
        if again == clean:
            break
        clean = again
    return clean


# Where a block ends, words end too: "<p>A.</p><p>B.</p>" reads "A. B.", not "A.B.".
_BLOCK_BOUNDARY_RE = re.compile(
    r"<(?:/?(?:p|div|li|h[1-6]|blockquote|figure|figcaption|pre|section|article|tr|td|th)|br)\b",
    re.IGNORECASE,
)


def to_plain_text(html: str) -> str:
    """Plain text of an HTML fragment (for excerpts): no tags, entities decoded."""
    stripped = _TAG_STRIPPER.clean(_BLOCK_BOUNDARY_RE.sub(r" \g<0>", html))
    return " ".join(html_lib.unescape(stripped).split())


# A tag in sanitized output: nh3 writes names in lower case and every attribute value in
# double quotes (a value may hold a ">").
_SANITIZED_TAG_RE = re.compile(r'<(/?)([a-z][a-z0-9]*)(?:[^>"]|"[^"]*")*>')
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "blockquote", "figure", "figcaption", "pre", "section", "article"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th"}
)


def _tag_gap(match: re.Match[str]) -> str:
    name = match.group(2)
    return " " if name in _BLOCK_TAGS or (name == "br" and not match.group(1)) else ""


def sanitized_to_plain_text(clean_html: str) -> str:
    """to_plain_text for what sanitize_html returned (no scripts, comments or stray
    markup left), in one regex pass instead of a second HTML parse."""
    return " ".join(html_lib.unescape(_SANITIZED_TAG_RE.sub(_tag_gap, clean_html)).split())
