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


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


# Where a block ends, words end too: "<p>A.</p><p>B.</p>" reads "A. B.", not "A.B.".
_BLOCK_BOUNDARY_RE = re.compile(
    r"<(?:/?(?:p|div|li|h[1-6]|blockquote|figure|figcaption|pre|section|article|tr|td|th)|br)\b",
    re.IGNORECASE,
)


def to_plain_text(html: str) -> str:
    """Plain text of an HTML fragment (for excerpts): no tags, entities decoded."""
    stripped = nh3.clean(_BLOCK_BOUNDARY_RE.sub(r" \g<0>", html), tags=set())
    return " ".join(html_lib.unescape(stripped).split())
