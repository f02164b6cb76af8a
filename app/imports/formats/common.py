"""What the converters share: the items they yield (an import line, or an item skipped with
its reason, each with its place in the file), and small rules: slugs, languages, dates,
tags, titles."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError

from app.core.html import to_plain_text
from app.core.slugs import MAX_SLUG_LENGTH, SLUG_PATTERN, slugify_title
from app.imports.parsing import validation_errors
from app.imports.schemas import LineError

_SLUG_RE = re.compile(SLUG_PATTERN)
_BLOCK_RE = re.compile(r"<(p|div|ul|ol|h[1-6]|blockquote|figure|table|pre|section)\b", re.I)
MAX_EXCERPT = 5000
TITLE_FROM_TEXT_CHARS = 80
NO_TITLE = "(no title)"  # what WordPress shows for a post without one


class ConversionFailed(Exception):
    """The input is not a file of the format named, or stops being readable part-way."""

    def __init__(self, message: str, *, source_line: int | None = None) -> None:
        super().__init__(message)
        self.source_line = source_line


def refused_xml(exc: DefusedXmlException) -> ConversionFailed:
    """A DTD or entity declaration: never expanded, and the file refused saying why."""
    if isinstance(exc, EntitiesForbidden):
        why = f"it declares the XML entity '{exc.name}' (entities are never expanded)"
    elif isinstance(exc, DTDForbidden):
        why = (
            "it holds a document type declaration (<!DOCTYPE>, where XML entities are "
            "declared), which no WordPress export has"
        )
    else:
        why = f"it refers to something outside the file ({exc})"
    return ConversionFailed(f"Refused: {why}.")


class ItemFailed(Exception):
    """One item cannot be converted (a value of the wrong type, a number out of range):
    that item fails, reported with its place in the file, and the others go on."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors

    @classmethod
    def of(cls, field_name: str | None, message: str) -> "ItemFailed":
        return cls([LineError(line=0, field=field_name, message=message)])


class Row(BaseModel):
    """The types of the fields a converter reads from one JSON object of an export (other
    fields are not looked at); strict: a number is no text, nor text a number."""

    model_config = ConfigDict(strict=True, extra="ignore")


def one_of(description: str, *types: type, nullable: bool = True) -> PlainValidator:
    """For `Annotated[Any, one_of(...)]`: a field holding a value of one of these JSON
    types, with one error when it does not (a union would give one per type); `bool`
    only when named (true is no number)."""

    def check(value: Any) -> Any:
        if value is None and nullable:
            return value
        if isinstance(value, types) and (bool in types or not isinstance(value, bool)):
            return value
        raise ValueError(f"Must be {description}")

    return PlainValidator(check)


def check_row(model: type[Row], value: Any) -> None:
    """Raises ItemFailed, with the errors the NDJSON path would give, unless `value` is a
    JSON object whose fields have the types `model` says."""
    if not isinstance(value, dict):
        raise ItemFailed.of(None, f"Must be a JSON object, not {_json_name(value)}.")
    try:
        model.model_validate(value)
    except ValidationError as exc:
        raise ItemFailed(validation_errors(0, exc)) from exc


def _json_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | float):
        return "a number"
    return "a list" if isinstance(value, list) else "null"


MAX_ID_DIGITS = 18  # fits a 64-bit integer


def ascii_int(text: str | None) -> int | None:
    """A number written in ASCII digits (`²` and Arabic-Indic digits are no id here, and
    no text of thousands of digits is ever converted)."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
        return int(text)
    return None


@dataclass(frozen=True)
class Options:
    """What the operator says about a file: the language of posts that name none, and the
    site's address (Ghost writes `__GHOST_URL__` for it)."""

    default_lang: str
    site_url: str | None = None
    # Given by the operator (--lang, lang=): the file's language, over the one it declares.
    lang: str | None = None
    charset: str | None = None  # the upload's Content-Type charset

    def file_lang(self, declared: str | None) -> str:
        """The language of a file's items that name none: the operator's, else the file's."""
        return primary_lang(self.lang or declared, self.default_lang)


@dataclass
class Converted:
    """An item that becomes one import line (an ArticleLine as JSON-ready data)."""

    kind: str  # post, page, item, entry...
    item: int  # its number in the file, 1-based
    line: dict[str, Any]
    source_line: int | None = None
    source_id: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    """An item not imported, and why (a menu item, a trashed post, a media file...)."""

    kind: str
    item: int
    reason: str
    source_line: int | None = None
    source_id: str | None = None


@dataclass
class Failed:
    """An item that cannot become an import line: a failure in the report, with its place
    in the file (the errors' `line` is set when the import numbers it)."""

    kind: str
    item: int
    errors: list[LineError]
    source_line: int | None = None
    source_id: str | None = None


@dataclass
class Remark:
    """Something about the whole file the report must say (an encoding guessed, a language
    assumed); not an item."""

    message: str


Item = Converted | Skipped | Failed | Remark


def undeclared_lang(options: Options, declared: str | None) -> Remark | None:
    """The remark for a file that names no language (and the operator gave none)."""
    if options.lang or primary_lang(declared, ""):
        return None
    return Remark(
        f"The file names no language: its items that name none are labelled "
        f"'{options.default_lang}' (the site's default; --lang or lang= sets another)."
    )


Converter = Callable[[IO[bytes], Options], Iterator[Item]]


def slug_from(text: str | None) -> str | None:
    """A stored slug kept as it is when valid; percent-encoded or Cyrillic ones (WordPress
    keeps `%d0%bd...`) transliterated; None when there is nothing to go on."""
    if not text:
        return None
    decoded = unquote(text).strip().lower()
    if _SLUG_RE.match(decoded) and len(decoded) <= MAX_SLUG_LENGTH:
        return decoded
    slug = slugify_title(decoded)
    return None if slug == "article" else slug


def slug_from_link(link: str | None) -> str | None:
    """The last path segment of an article's old URL, when it looks like a slug."""
    if not link:
        return None
    segment = urlsplit(link).path.rstrip("/").rsplit("/", 1)[-1]
    slug = slug_from(segment) if segment and not segment.isdigit() else None
    return slug if slug and "." not in segment else None


def primary_lang(code: str | None, default: str) -> str:
    """`en-US` -> `en`: the site's languages are primary subtags."""
    if not code:
        return default
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,8}", primary) else default


def utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    except OverflowError:
        # 9999-12-31T23:59-14:00 is no UTC moment: kept as it is, the line's validation
        # (the NDJSON path's) fails that item, saying so.
        return moment.isoformat()


def tag(name: str, slug: str | None, lang: str, kind: str | None = None) -> dict[str, Any] | None:
    """A tag item; `kind`: section (a WordPress category) or topic (a tag)."""
    name = " ".join(name.split())[:200]
    slug = slug_from(slug) or slug_from(name)
    if not slug:
        return None
    item: dict[str, Any] = {"slug": slug, "names": {lang: name} if name else {}}
    if kind is not None:
        item["kind"] = kind
    return item


# ---- the newsroom model's fields ----------------------------------------------------------

MAX_AUTHORS = 20


def restrict(line: dict[str, Any], notes: list[str], why: str) -> None:
    """Content that was not public at its source never is here: a restricted article,
    listed with its title and excerpt, its body never served publicly."""
    line["visibility"] = "restricted"
    notes.append(f"{why} at the source: imported as restricted (its body is not public).")


def set_page(line: dict[str, Any]) -> None:
    line["type"] = "page"


def http_url(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
        return value.strip()
    return None


def set_cover(
    line: dict[str, Any],
    url: str | None,
    *,
    width: int | None = None,
    height: int | None = None,
    alt: str = "",
    caption: str = "",
) -> None:
    """The cover image, with its size and (in every translation) its alt text and caption."""
    url = http_url(url)
    if url is None:
        return
    cover: dict[str, Any] = {"url": url}
    if width and height and 0 < width <= 100_000 and 0 < height <= 100_000:
        cover |= {"width": width, "height": height}
    line["cover_image"] = cover
    for translation in line["translations"]:
        if alt.strip():
            translation["cover_alt"] = " ".join(alt.split())[:1000]
        if caption.strip():
            translation["cover_caption"] = to_plain_text(caption)[:2000]


def author(
    name: str,
    slug: str | None,
    lang: str,
    *,
    bio: str = "",
    photo_url: str | None = None,
    links: list[str | None] | None = None,
) -> dict[str, Any] | None:
    """An author item (a byline): slug, name and bio in the item's language, photo, links."""
    name = " ".join(name.split())[:200]
    slug = slug_from(slug) or slug_from(name)
    if not slug:
        return None
    item: dict[str, Any] = {"slug": slug, "names": {lang: name} if name else {}}
    if bio.strip():
        item["bios"] = {lang: to_plain_text(bio)[:5000]}
    if http_url(photo_url):
        item["photo_url"] = http_url(photo_url)
    profile = [url for url in (http_url(link) for link in links or []) if url]
    if profile:
        item["links"] = list(dict.fromkeys(profile))[:20]
    return item


def set_authors(line: dict[str, Any], authors: list[dict[str, Any] | None]) -> None:
    found = unique_tags(authors)
    if found:
        line["authors"] = found[:MAX_AUTHORS]


def set_canonical_url(line: dict[str, Any], url: str | None) -> None:
    if http_url(url):
        line["canonical_url"] = http_url(url)


def set_featured(line: dict[str, Any], featured: bool) -> None:
    if featured:
        line["featured"] = True


def unique_tags(tags: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Every tag once, in order: no cap (an article holds every term its source gives)."""
    seen: dict[str, dict[str, Any]] = {}
    for item in tags:
        if item is not None and item["slug"] not in seen:
            seen[item["slug"]] = item
    return list(seen.values())


def title_or_text(title: str, html_or_text: str) -> tuple[str, str | None]:
    """An item's title, and a note when it had none: then the first words of its text (as
    feed readers show such items), or WordPress's "(no title)" when there is no text."""
    if title.strip():
        return title, None
    text = to_plain_text(html_or_text)
    if not text:
        return NO_TITLE, f'No title and no text: titled "{NO_TITLE}".'
    if len(text) > TITLE_FROM_TEXT_CHARS:
        text = text[:TITLE_FROM_TEXT_CHARS].rsplit(" ", 1)[0] + "…"
    return text, "No title: titled from its text."


def excerpt(html_or_text: str | None) -> str:
    return to_plain_text(html_or_text or "")[:MAX_EXCERPT]


def paragraphs(html: str) -> str:
    """WordPress stores classic posts without <p> (it adds them when rendering): do the same,
    blank lines between paragraphs, single newlines as <br>."""
    if not html.strip() or _BLOCK_RE.search(html):
        return html
    blocks = [b.strip() for b in re.split(r"\n\s*\n", html.replace("\r\n", "\n"))]
    return "".join(f"<p>{b.replace(chr(10), '<br>')}</p>" for b in blocks if b)
