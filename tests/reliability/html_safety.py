"""Finds what a browser could execute in an HTML fragment: an independent check of the
sanitizer's output (it parses like a browser's tokenizer, decoding entities in attributes)."""

import re
from html.parser import HTMLParser

# fmt: off
# Elements that run code, load documents or change how the page is parsed or submitted.
DANGEROUS_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "link", "meta", "form", "button", "input", "svg", "math", "xml", "bgsound", "noscript",
    "template", "textarea", "isindex", "portal",
})
# Attributes whose value is fetched or navigated to.
URL_ATTRIBUTES = frozenset({
    "href", "src", "srcset", "action", "formaction", "background", "poster", "cite", "data",
    "dynsrc", "lowsrc", "xlink:href", "longdesc", "usemap", "ping",
})
# fmt: on
DANGEROUS_SCHEMES = frozenset({"javascript", "vbscript", "data"})
# Browsers drop these from a URL before reading its scheme (WHATWG URL parser: leading C0
# controls and spaces, tabs and newlines anywhere).
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


def _scheme(url: str) -> str | None:
    found = _SCHEME.match(_IGNORED_IN_URL.sub("", url).lower())
    return found.group(1) if found else None


def _dangerous_url(attribute: str, value: str) -> bool:
    # srcset is a list of "url descriptor" candidates: every one counts.
    urls = [c.split()[0] for c in value.split(",") if c.split()] if attribute == "srcset" else []
    return any(_scheme(url) in DANGEROUS_SCHEMES for url in [value, *urls])


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            elif name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name in URL_ATTRIBUTES and value and _dangerous_url(name, value):
                self.problems.append(f"{name}={value!r} on <{tag}>")

    handle_startendtag = handle_starttag


def executable_parts(html: str) -> list[str]:
    """Everything in `html` that could run script; [] when the fragment is inert."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    if re.search(r"<\s*/?\s*script", html, re.IGNORECASE):
        finder.problems.append("a script tag in the markup")
    return finder.problems


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        self.found.append(f"</{tag}>")

    def handle_comment(self, data: str) -> None:
        self.found.append("<!--")

    def handle_decl(self, decl: str) -> None:
        self.found.append("<!")

    def handle_pi(self, data: str) -> None:
        self.found.append("<?")

    def unknown_decl(self, data: str) -> None:
        self.found.append("<![")


def markup_in(text: str) -> list[str]:
    """Every tag, comment or declaration an HTML parser finds in `text` ([] when a front end
    could render it as HTML and get only text)."""
    parser = _Markup()
    parser.feed(text)
    parser.close()
    return parser.found
