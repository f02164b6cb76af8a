"""WordPress post content as WordPress renders it: `wpautop` for classic posts, the built-in
shortcodes (`[caption]`, `[gallery]`, `[embed]`, `[audio]`, `[video]`), oEmbed URLs on a
line of their own, and the `<!--more-->` split.

`wpautop` follows the steps of WordPress's own function (wp-includes/formatting.php,
WordPress 5.x, GPL-2.0-or-later), regular expression for regular expression, so a classic
post gets the paragraphs its site showed; no maintained Python package does this (PyPI has
none). Block-editor posts (`<!-- wp:` comments) are stored already rendered and skip it.
"""

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre"
    r"|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section"
    r"|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)
# wp_html_split(): comments, CDATA, else an element up to its ">" (PHP's conditional
# subpattern written as an alternation).
_HTML_SPLIT_RE = re.compile(
    r"(<(?:!--(?:-(?!->)|[^-])*+(?:-->)?"
    r"|!\[CDATA\[[^\]]*+(?:\](?!\]>)[^\]]*+)*+(?:\]\]>)?"
    r"|[^>]*>?))"
)
_NEWLINE_IN_TAG = " <!-- wpnl --> "


def _replace_in_html_tags(text: str, needle: str, replacement: str) -> str:
    parts = _HTML_SPLIT_RE.split(text)
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace(needle, replacement)
    return "".join(parts)


def _sub(pattern: str, replacement: str | Callable[[re.Match[str]], str], text: str) -> str:
    return re.sub(pattern, replacement, text)


def wpautop(text: str, br: bool = True) -> str:
    """Double line breaks become paragraphs, single ones `<br />` (WordPress's wpautop)."""
    if not text.strip():
        return ""
    text += "\n"
    pre_tags: dict[str, str] = {}
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        text = ""
        for i, part in enumerate(parts):
            start = part.find("<pre")
            if start == -1:  # malformed HTML
                text += part
                continue
            name = f"<pre wp-pre-tag-{i}></pre>"
            pre_tags[name] = part[start:] + "</pre>"
            text += part[:start] + name
        text += last
    text = _sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _sub(r"(<" + _ALLBLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = _sub(r"(</" + _ALLBLOCKS + r">)", r"\1\n\n", text)
    text = _sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _replace_in_html_tags(text, "\n", _NEWLINE_IN_TAG)
    if "<option" in text:
        text = _sub(r"\s*<option", "<option", text)
        text = _sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = _sub(r"(<object[^>]*>)\s*", r"\1", text)
        text = _sub(r"\s*</object>", "</object>", text)
        text = _sub(r"\s*(</?(?:param|embed)[^>]*>)\s*", r"\1", text)
    if "<source" in text or "<track" in text:
        text = _sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", r"\1", text)
        text = _sub(r"\s*([<\[]/(?:audio|video)[>\]])", r"\1", text)
        text = _sub(r"\s*(<(?:source|track)[^>]*>)\s*", r"\1", text)
    if "<figcaption" in text:
        text = _sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = _sub(r"</figcaption>\s*", "</figcaption>", text)
    text = _sub(r"\n\n+", "\n\n", text)
    pieces = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join(f"<p>{piece.strip(chr(10))}</p>\n" for piece in pieces)
    text = _sub(r"<p>\s*</p>", "", text)
    text = _sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = _sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = _sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text)
    text = _sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    if br:
        text = re.sub(
            r"<(script|style|svg).*?</\1>",
            lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"),
            text,
            flags=re.DOTALL,
        )
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = _sub(r"(?<!<br />)\s*\n", "<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")
    text = _sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = _sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = _sub(r"\n</p>$", "</p>", text)
    for name, original in pre_tags.items():
        text = text.replace(name, original)
    if "<!-- wpnl -->" in text:
        text = text.replace(_NEWLINE_IN_TAG, "\n").replace("<!-- wpnl -->", "\n")
    return text


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
    (WordPress's order: embeds, then wpautop for classic posts, then shortcodes)."""
    content, teaser = split_more(content)
    classic = "<!-- wp:" not in content

    def show(text: str) -> str:
        text = embeds_to_links(shortcodes(text, attachments, children))
        return wpautop(text).rstrip("\n") if classic else text

    return show(content), show(teaser) if teaser is not None else None
