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


# Characters XML 1.0 cannot carry and a text field may not hold (U+0000–U+001F but tab, LF
# and CR; U+007F; lone surrogates; U+FFFE and U+FFFF): refused on input (app.core.schemas),
# dropped wherever decoding could make one (`&#1;` in a body).
FORBIDDEN_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def drop_forbidden_chars(text: str) -> str:
    return FORBIDDEN_CHARS_RE.sub("", text) if FORBIDDEN_CHARS_RE.search(text) else text


# Nesting deeper than this is refused before sanitizing: a browser's parser, and ammonia's,
# spend superlinear time on it, and no article needs it.
MAX_HTML_DEPTH = 300
# A tag's start and name (as the tokenizer reads it); never looks ahead for its ">".
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][^\s/>]*)")
# Elements that never hold others, or that the parser closes when a sibling starts (so
# `<p><p><p>` or `<li><li>` stays shallow): they never deepen the tree.
_NOT_NESTING = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
    | {"track", "wbr", "p", "li", "dt", "dd", "option", "tr", "td", "th", "rt", "rp"}
)


# An end tag does not reach past these to close an element opened outside them (the
# parser's "in scope"): `<div><table></div>` leaves the div open.
_SCOPE_BOUNDARIES = frozenset(
    {"table", "caption", "td", "th", "html", "template", "applet", "marquee", "object"}
    | {"svg", "math", "foreignobject", "desc", "title", "mi", "mo", "mn", "ms", "mtext"}
)


def html_depth_exceeds(html: str, limit: int = MAX_HTML_DEPTH) -> bool:
    """Whether `html` nests elements deeper than `limit`, found in one linear pass over its
    tags (no parse, whose own cost on deep nesting is what this guards against). It keeps
    the stack of open elements as a parser would: an end tag closes the nearest open
    element of its name and whatever was opened inside it, and is ignored when no such
    element is open in scope. Elements that cannot hold others, or that a sibling closes
    (`p`, `li`, `td`…), never count."""
    if html.count("<") <= limit:
        return False
    stack: list[str] = []
    positions: dict[str, list[int]] = {}
    boundaries: list[int] = []
    for match in _TAG_RE.finditer(html):
        name = match.group(2).lower()
        if name in _NOT_NESTING:
            continue
        if not match.group(1):
            positions.setdefault(name, []).append(len(stack))
            if name in _SCOPE_BOUNDARIES:
                boundaries.append(len(stack))
            stack.append(name)
            if len(stack) > limit:
                return True
            continue
        open_at = positions.get(name)
        if not open_at or (boundaries and boundaries[-1] > open_at[-1]):
            continue  # nothing of that name open in scope: the parser ignores it
        target = open_at[-1]
        while len(stack) > target:  # it, and whatever was opened inside it
            positions[stack.pop()].pop()
            if boundaries and boundaries[-1] == len(stack):
                boundaries.pop()
    return False


# html5ever repairs mis-nested markup (a table inside a list term, a block inside <p>) into
# a tree whose serialization it would repair again, differently; a few passes reach markup
# that cleans to itself. Real bodies settle in one or two.
_MAX_PASSES = 6


def sanitize_html(html: str) -> str:
    """Safe HTML that sanitizes to itself: what is stored is a fixed point, so re-importing
    or re-saving a body never changes it (and never marks the article changed)."""
    clean = drop_forbidden_chars(str(_SANITIZER.clean(html)))
    if clean == html:
        return clean  # cleaning it again is the pass just made: already a fixed point
    for _ in range(_MAX_PASSES):
        again = drop_forbidden_chars(str(_SANITIZER.clean(clean)))
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
    return inert_text(" ".join(html_lib.unescape(stripped).split()))


def markup_text_dropped(html: str) -> str | None:
    """The text an HTML fragment shows, when `to_plain_text` could not keep all of it: text
    that reads as markup once decoded (`&lt;blink&gt;` shows `<blink>`) is dropped from
    plain text (see `inert_text`), and an import must say so. None when nothing was."""
    shown = " ".join(html_lib.unescape(_TAG_STRIPPER.clean(html)).split())
    return shown if shown != to_plain_text(html) else None


# What starts markup in HTML text: a start or end tag, a comment or a declaration.
_MARKUP_START_RE = re.compile(r"<[a-zA-Z/!?]")


def inert_text(text: str) -> str:
    """`text` without anything an HTML parser would read as markup, decoding nothing: so
    `&lt;img onerror=…&gt;` decoded once to `<img onerror=…>` is dropped, not kept to run
    in a front end that renders the text as HTML. A `<` that starts no tag (`a < b`,
    `<3`) stays."""
    for _ in range(8):
        if not _MARKUP_START_RE.search(text):
            return text
        # `&` escaped: entities are text here, only tags are taken out.
        again = html_lib.unescape(_TAG_STRIPPER.clean(text.replace("&", "&amp;")))
        if again == text:
            return text
        text = again
    return _MARKUP_START_RE.sub(lambda m: "< " + m.group()[1:], text)


def plain_text(value: str) -> str:
    """Text as a text field stores it: markup stripped as an HTML parser reads it (a `<`
    followed by a letter starts a tag), entities decoded exactly once, and no markup
    left that decoding made (see `inert_text`). Line breaks are LF, as an HTML parser reads
    them (CR LF and CR become LF): text written once reads back the same when written again."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if "<" not in value and "&" not in value:
        return value
    return inert_text(drop_forbidden_chars(html_lib.unescape(_TAG_STRIPPER.clean(value))))


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
    text = html_lib.unescape(_SANITIZED_TAG_RE.sub(_tag_gap, clean_html))
    return inert_text(drop_forbidden_chars(" ".join(text.split())))
