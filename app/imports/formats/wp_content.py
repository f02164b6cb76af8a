"""WordPress post content as its site showed it: paragraphs for classic posts, the
built-in shortcodes (`[caption]`, `[gallery]`, `[embed]`, `[audio]`, `[video]`), oEmbed URLs
on a line of their own, and the `<!--more-->` split.

A classic post is stored as text with line breaks, and WordPress shows it with paragraphs
made from them ("auto-paragraphs", documented for `wpautop`). `paragraphs` does the same
from that documented behaviour, written here (not derived from WordPress's code): a blank
line ends a paragraph, a single line break is a `<br />`, block elements (headings, lists,
tables, figures, quotations...) stand alone instead of being wrapped, and `<pre>`,
`<script>`, `<style>`, `<textarea>` and comments are kept exactly. Block-editor posts
(`<!-- wp:` comments) are stored already rendered and skip it.
"""

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Elements that stand alone: a paragraph ends before one and starts again after it.
_BLOCKS = frozenset(
    ("address", "article", "aside", "blockquote", "caption", "col", "colgroup", "dd",
     "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
     "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li",
     "main", "math", "menu", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
     "td", "tfoot", "th", "thead", "tr", "ul")
)  # fmt: skip
# Blocks whose text is made into paragraphs, as at the top level; in the others (a list
# item, a table cell, a heading, a figure...) it keeps its place and only gets `<br />`s.
_FLOW = frozenset(
    ("article", "aside", "blockquote", "details", "div", "fieldset", "footer", "form",
     "header", "main", "nav", "section")
)  # fmt: skip
_VOID = frozenset({"col", "hr"})
# Elements kept byte for byte (their line breaks are not paragraph breaks), comments, tags.
_TOKEN = re.compile(
    r"(?P<verbatim><(?P<kept>pre|script|style|textarea)\b[^>]*>.*?</(?P=kept)\s*>)"
    r"|(?P<comment><!--.*?-->)"
    r"|(?P<tag></?(?P<name>[a-zA-Z][\w:-]*)(?:\s[^>]*)?/?>)",
    re.DOTALL | re.IGNORECASE,
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")
# A line break that a <br> already ends needs no second one.
_LINE_BREAK = re.compile(r"(?<!<br>)(?<!<br/>)(?<!<br />)[ \t]*\n")
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_KEPT_NEWLINE = "\x00"  # a newline inside a tag or a kept element, while lines are read


def paragraphs(text: str) -> str:
    """A classic post's text as HTML: paragraphs from blank lines, `<br />` from single
    line breaks, block elements left unwrapped, preformatted text unchanged."""
    out: list[str] = []
    run: list[str] = []  # text and inline markup since the last block tag
    open_blocks: list[str] = []
    position = 0

    def flow() -> bool:
        return not open_blocks or open_blocks[-1] in _FLOW

    def flush() -> None:
        if done := _run_html("".join(run), as_paragraphs=flow()):
            out.append(done)
        run.clear()

    for match in _TOKEN.finditer(text):
        run.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        name = (match.group("kept") or match.group("name") or "").lower()
        if match.group("comment") or name not in _BLOCKS:  # inline: part of the run
            run.append(token.replace("\n", _KEPT_NEWLINE))
        else:
            flush()
            closing = token.startswith("</")
            if not closing and flow() and out and not out[-1].endswith("\n"):
                out.append("\n")
            out.append(token)
            if closing:
                _close(open_blocks, name)
            elif name not in _VOID and not token.endswith("/>") and name != "pre":
                open_blocks.append(name)
            if (closing or name in _VOID or name == "pre") and flow():
                out.append("\n")
    run.append(text[position:])
    flush()
    return "".join(out)


def _close(open_blocks: list[str], name: str) -> None:
    """Closes `name` and any block left open inside it; a stray end tag closes nothing."""
    if name in open_blocks:
        del open_blocks[len(open_blocks) - 1 - open_blocks[::-1].index(name) :]


def _run_html(run: str, *, as_paragraphs: bool) -> str:
    text = run.replace("\r\n", "\n").replace("\r", "\n")
    if as_paragraphs:
        pieces = [p.strip() for p in _BLANK_LINE.split(text)]
        html_ = "".join(_paragraph(p) for p in pieces if p)
    else:  # the whitespace around it stays as it was
        core = text.strip()
        if not core:
            return text.replace(_KEPT_NEWLINE, "\n")
        start = text.index(core[0])
        html_ = text[:start] + _line_breaks(core) + text[start + len(core) :]
    return html_.replace(_KEPT_NEWLINE, "\n")


def _paragraph(text: str) -> str:
    if not _COMMENTS.sub("", text).strip():  # only comments: nothing to show in a <p>
        return text + "\n"
    return f"<p>{_line_breaks(text)}</p>\n"


def _line_breaks(text: str) -> str:
    return _LINE_BREAK.sub("<br />\n", text)


# ---- shortcodes -------------------------------------------------------------------------

_ATTR_RE = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"|([\w-]+)\s*=\s*'([^']*)'|([\w-]+)\s*=\s*([^\s'"]+)"""
)
_CAPTION_RE = re.compile(r"\[(caption|wp_caption)([^\]]*)\](.*?)\[/\1\]", re.DOTALL)
_GALLERY_RE = re.compile(r"\[gallery([^\]]*)\]")
_EMBED_RE = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.DOTALL)
_MEDIA_RE = re.compile(r"\[(audio|video)([^\]]*)\](?:(.*?)\[/\1\])?", re.DOTALL)
_CAPTION_MEDIA_RE = re.compile(r"^\s*((?:<a [^>]+>\s*)?<img[^>]+>\s*(?:</a>)?)(.*)$", re.DOTALL)
# WordPress's autoembed: a URL alone on its line (or alone in a paragraph) is an oEmbed.
_BARE_URL_RE = re.compile(r"^(\s*)(https?://[^\s<>\"]+)(\s*)$", re.MULTILINE)
_BARE_URL_PARAGRAPH_RE = re.compile(r"<p>\s*(https?://[^\s<>\"]+)\s*</p>")
_IFRAME_RE = re.compile(r"<iframe\b([^>]*)>.*?</iframe>|<iframe\b([^>]*)/?>", re.I | re.DOTALL)
_SRC_RE = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_MORE_RE = re.compile(r"<!--more(?:.*?)?-->|<!--noteaser-->|<!--nextpage-->")
_MORE_BLOCK_RE = re.compile(r"<!-- /?wp:(?:more|nextpage)\b[^>]*-->")


def _attributes(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR_RE.finditer(text):
        name = match.group(1) or match.group(3) or match.group(5)
        value = match.group(2) if match.group(1) else match.group(4) or match.group(6) or ""
        found[name.lower()] = html.unescape(value)
    return found


def _link(url: str) -> str:
    safe = html.escape(url, quote=True)
    return f'<a href="{safe}">{safe}</a>'


@dataclass(frozen=True)
class Image:
    url: str
    alt: str = ""
    caption: str = ""
    width: int | None = None
    height: int | None = None


def caption_shortcode(match: re.Match[str]) -> str:
    """`[caption id="attachment_5" width="300"]<img …> Text[/caption]` -> a figure."""
    attributes = _attributes(match.group(2))
    media = _CAPTION_MEDIA_RE.match(match.group(3))
    if media is None:
        return match.group(3)
    caption = media.group(2).strip() or attributes.get("caption", "")
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure>{media.group(1).strip()}{figcaption}</figure>"


def shortcodes(
    content: str,
    attachments: Mapping[int, Image],
    children: Callable[[], list[Image]],
) -> str:
    """The built-in shortcodes as HTML the sanitizer keeps: captions and galleries as
    figures, embeds and media as links. `children`: the post's attached images (a gallery
    without `ids`)."""
    content = _CAPTION_RE.sub(caption_shortcode, content)

    def gallery(match: re.Match[str]) -> str:
        attributes = _attributes(match.group(1))
        ids = [int(x) for x in re.findall(r"[0-9]{1,18}", attributes.get("ids", "") or "")]
        images = [attachments[i] for i in ids if i in attachments] if ids else children()
        if not images:
            return ""
        return "<figure>" + "".join(_img(image) for image in images) + "</figure>"

    content = _GALLERY_RE.sub(gallery, content)
    content = _EMBED_RE.sub(lambda m: _link(m.group(1).strip()), content)

    def media(match: re.Match[str]) -> str:
        attributes = _attributes(match.group(2))
        url = attributes.get("src") or next(
            (v for k, v in attributes.items() if k in {"mp3", "m4a", "ogg", "wav", "mp4", "webm"}),
            "",
        )
        return _link(url) if url.startswith(("http://", "https://")) else ""

    return _MEDIA_RE.sub(media, content)


def _img(image: Image) -> str:
    alt = html.escape(image.alt, quote=True)
    return f'<img src="{html.escape(image.url, quote=True)}" alt="{alt}">'


_PLAYERS = [
    (
        re.compile(r"^https?://(?:www\.)?youtube(?:-nocookie)?\.com/embed/([\w-]+)"),
        "https://www.youtube.com/watch?v={}",
    ),
    (re.compile(r"^https?://player\.vimeo\.com/video/(\d+)"), "https://vimeo.com/{}"),
]


def _page_of(url: str) -> str:
    """The page a video player shows (a YouTube or Vimeo embed URL -> the video's page)."""
    for pattern, page in _PLAYERS:
        match = pattern.match(url)
        if match:
            return page.format(match.group(1))
    return url


def embeds_to_links(content: str) -> str:
    """iframes (which the sanitizer drops, leaving an empty figure) and URLs standing alone
    on a line (WordPress embeds those) become links to what they showed."""

    def iframe(match: re.Match[str]) -> str:
        src = _SRC_RE.search(match.group(1) or match.group(2) or "")
        url = next((g for g in src.groups() if g), "") if src else ""
        url = html.unescape(url)
        if url.startswith("//"):
            url = "https:" + url
        return _link(_page_of(url)) if url.startswith(("http://", "https://")) else ""

    content = _IFRAME_RE.sub(iframe, content)
    content = _BARE_URL_PARAGRAPH_RE.sub(lambda m: f"<p>{_link(m.group(1))}</p>", content)
    return _BARE_URL_RE.sub(lambda m: m.group(1) + _link(m.group(2)) + m.group(3), content)


def split_more(content: str) -> tuple[str, str | None]:
    """(content without the markers, the part before `<!--more-->` or None)."""
    content = _MORE_BLOCK_RE.sub("", content)
    match = _MORE_RE.search(content)
    teaser = content[: match.start()] if match and "more" in match.group(0) else None
    return _MORE_RE.sub("", content), teaser


def render(
    content: str,
    attachments: Mapping[int, Image],
    children: Callable[[], list[Image]],
) -> tuple[str, str | None]:
    """A post's HTML as its site showed it, and the teaser before `<!--more-->` if any
    (WordPress's order: embeds, then paragraphs for classic posts, then shortcodes)."""
    content, teaser = split_more(content)
    classic = "<!-- wp:" not in content

    def show(text: str) -> str:
        text = embeds_to_links(shortcodes(text, attachments, children))
        return paragraphs(text).rstrip("\n") if classic else text

    return show(content), show(teaser) if teaser is not None else None
