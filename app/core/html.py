"""Body HTML is sanitized on every write with ammonia (nh3): what is stored is safe to render."""

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


def to_plain_text(html: str) -> str:
    """Plain text of an HTML fragment (for excerpts): no tags, entities decoded."""
    import html as html_lib

    stripped = nh3.clean(html, tags=set())
    return " ".join(html_lib.unescape(stripped).split())
