"""Body HTML is sanitized on every write with ammonia (nh3): what is stored is safe to render."""

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


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


def to_plain_text(html: str) -> str:
    """Plain text of an HTML fragment (for excerpts): no tags, entities decoded."""
    import html as html_lib

    stripped = nh3.clean(html, tags=set())
    return " ".join(html_lib.unescape(stripped).split())
