"""Ghost's JSON export (Settings → Labs → Export; versions 2 to 5).

- `html` is the body (Ghost renders its editor's document into the export); `uuid` makes
  the external_id; `__GHOST_URL__` (Ghost 4+) is resolved against `--site-url`;
- tags in `posts_tags` order (`sort_order` 0 is the primary tag); internal `#` tags left out;
- bylines from `users` in `posts_authors` order; the feature image with its alt text and
  caption (`posts_meta`); `featured`; `canonical_url`;
- a `members`/`paid`/`tiers` post is never public: restricted (its body never served
  publicly), with the part before `<!--members-only-->` (Ghost's public preview) as its
  excerpt;
- an email-only newsletter (`status: sent`, or `posts_meta.email_only`) was never on the
  website: imported as a draft, never public, with a remark;
- pages (`type: page`, or `page: 1` before Ghost 3) become pages;
- the site's `locale` setting is the language of its posts (else `--lang`).
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Annotated, Any

import orjson

from app.core.html import to_plain_text
from app.imports.formats.common import (
    ConversionFailed,
    Converted,
    Failed,
    Item,
    ItemFailed,
    Options,
    Row,
    author,
    check_row,
    excerpt,
    one_of,
    primary_lang,
    restrict,
    set_authors,
    set_canonical_url,
    set_cover,
    set_featured,
    set_page,
    slug_from,
    tag,
    title_or_text,
    undeclared_lang,
    unique_tags,
    utc,
)
from app.imports.formats.wp_content import embeds_to_links

_STATUS = {"published": "published", "scheduled": "published"}
MEMBERS_ONLY = "<!--members-only-->"
GHOST_URL = "__GHOST_URL__"

# The fields read from each table's rows, typed (ids are numbers before Ghost 1).
Id = Annotated[Any, one_of("text or a number", str, int, nullable=False)]
Text = str | None
# Epoch milliseconds in old versions.
Moment = Annotated[Any, one_of("text or a number", str, int, float)]
Flag = Annotated[Any, one_of("true, false, a number or text", bool, int, str)]


class _Post(Row):
    id: Id
    uuid: Text = None
    title: Text = None
    slug: Text = None
    html: Text = None
    custom_excerpt: Text = None
    status: Text = None
    visibility: Text = None
    type: Text = None
    page: Flag = None
    locale: Text = None
    published_at: Moment = None
    updated_at: Moment = None
    feature_image: Text = None
    feature_image_alt: Text = None
    feature_image_caption: Text = None
    featured: Flag = None
    canonical_url: Text = None
    author_id: Annotated[Any, one_of("text or a number", str, int)] = None


class _Tag(Row):
    id: Id
    name: Text = None
    slug: Text = None
    visibility: Text = None


class _PostTag(Row):
    post_id: Id
    tag_id: Id
    sort_order: int | None = None


class _PostAuthor(Row):
    post_id: Id
    author_id: Id
    sort_order: int | None = None


class _User(Row):
    id: Id
    name: Text = None
    slug: Text = None
    bio: Text = None
    profile_image: Text = None
    website: Text = None


class _PostMeta(Row):
    post_id: Id
    feature_image_alt: Text = None
    feature_image_caption: Text = None


class _Setting(Row):
    key: Text = None


class _Locale(Row):
    value: Text = None


_LOCALE_KEYS = ("locale", "lang", "default_locale")
# Each table: its rows' type, and what one is called in the report.
_TABLES: dict[str, tuple[type[Row], str]] = {
    "tags": (_Tag, "tag"),
    "posts_tags": (_PostTag, "posts_tag"),
    "users": (_User, "user"),
    "posts_authors": (_PostAuthor, "posts_author"),
    "posts_meta": (_PostMeta, "posts_meta"),
    "settings": (_Setting, "setting"),
}


def convert(stream: IO[bytes], options: Options) -> Iterator[Item]:
    data = _data(stream.read())
    failed: list[Failed] = []
    rows = {name: _rows(data, name, failed) for name in _TABLES}
    tags = {t["id"]: t for t in rows["tags"] if t.get("visibility") != "internal"}
    links: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for link in rows["posts_tags"]:
        links[link["post_id"]].append((link.get("sort_order") or 0, link["tag_id"]))
    users = {u["id"]: u for u in rows["users"]}
    bylines: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for link in rows["posts_authors"]:
        bylines[link["post_id"]].append((link.get("sort_order") or 0, link["author_id"]))
    metas = {m["post_id"]: m for m in rows["posts_meta"]}
    settings = {s.get("key"): s.get("value") for s in rows["settings"]}
    # `locale` since Ghost 5, `lang` before, `default_locale` in Ghost 1.
    locale = settings.get("locale") or settings.get("lang") or settings.get("default_locale")
    site_lang = options.file_lang(locale)
    remark = undeclared_lang(options, locale)
    if remark is not None:
        yield remark
    yield from failed
    for number, post in enumerate(_table(data, "posts"), 1):
        # `type` since Ghost 3; `page: 1` before.
        kind = "page" if _get(post, "type") == "page" or _get(post, "page") in (1, "1") else "post"
        try:
            check_row(_Post, post)
            lang = primary_lang(post.get("locale"), site_lang)
            post_tags = [
                tags[tag_id] for _, tag_id in _ordered(links[post["id"]]) if tag_id in tags
            ]
            # Ghost 1 and 2 name one author on the post itself.
            order = _ordered(bylines[post["id"]]) or [(0, str(post.get("author_id")))]
            people = [users[user_id] for _, user_id in order if user_id in users]
            item = _converted(kind, number, post, lang, post_tags, options.site_url)
            _add_model_fields(item.line, post, metas.get(post["id"], {}), people, lang, options)
            _unpublish_newsletter(item, post, metas.get(post["id"], {}))
        except ItemFailed as exc:
            yield Failed(kind, number, exc.errors, source_id=_source_id(post))
            continue
        yield item


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else None


def _source_id(row: Any) -> str | None:
    value = _get(row, "id")
    return str(value) if isinstance(value, str | int) else None


def _table(data: dict[str, Any], name: str) -> list[Any]:
    """A table of the export: a list (absent or null: empty); else the file is no export."""
    table = data.get(name)
    if table is None:
        return []
    if not isinstance(table, list):
        raise ConversionFailed(f"Not a Ghost export: `db[0].data.{name}` is not a list.")
    return table


def _rows(data: dict[str, Any], name: str, failed: list[Failed]) -> list[dict[str, Any]]:
    """The table's readable rows; each other one is a failed item of its own (a post that
    names it goes on without it)."""
    model, kind = _TABLES[name]
    readable = []
    for number, row in enumerate(_table(data, name), 1):
        try:
            check_row(model, row)
            if name == "settings" and row.get("key") in _LOCALE_KEYS:
                check_row(_Locale, row)
        except ItemFailed as exc:
            failed.append(Failed(kind, number, exc.errors, source_id=_source_id(row)))
            continue
        readable.append(row)
    return readable


def _ordered(pairs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """By `sort_order`, then id (ids may be text or numbers)."""
    return sorted(pairs, key=lambda pair: (pair[0], str(pair[1])))


def _unpublish_newsletter(item: Converted, post: dict[str, Any], meta: dict[str, Any]) -> None:
    """Ghost's email-only posts went to subscribers' inboxes (often to paying members only)
    and never to the site: a draft here (its sent date kept), for an editor to publish."""
    email_only = meta.get("email_only") in (True, 1, "1")
    if post.get("status") != "sent" and not email_only:
        return
    item.line["status"] = "draft"
    flag = ", email_only" if email_only else ""
    item.notes.append(
        f"An email-only newsletter (status '{post.get('status')}'{flag}), never on the "
        "website: imported as a draft, not public."
    )


def _add_model_fields(
    line: dict[str, Any],
    post: dict[str, Any],
    meta: dict[str, Any],
    people: list[dict[str, Any]],
    lang: str,
    options: Options,
) -> None:
    """Page type, bylines, the cover's alt text and caption, featured, canonical URL."""
    if post.get("type") == "page" or post.get("page") in (1, "1"):
        set_page(line)
    site = options.site_url
    set_authors(
        line,
        [
            author(
                p.get("name") or "",
                p.get("slug"),
                lang,
                bio=p.get("bio") or "",
                photo_url=_resolved(p.get("profile_image") or "", site),
                links=[p.get("website")],
            )
            for p in people
        ],
    )
    set_cover(
        line,
        _resolved(post.get("feature_image") or "", site),
        alt=meta.get("feature_image_alt") or post.get("feature_image_alt") or "",
        caption=meta.get("feature_image_caption") or post.get("feature_image_caption") or "",
    )
    set_featured(line, post.get("featured") in (True, 1, "1"))
    set_canonical_url(line, post.get("canonical_url"))


def _data(raw: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(raw)
        db = document["db"][0] if isinstance(document["db"], list) else document["db"]
        data = db["data"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise ConversionFailed('Not a Ghost export: expected {"db": [{"data": ...}]}.') from exc
    if not isinstance(data, dict):
        raise ConversionFailed("Not a Ghost export: `db[0].data` is not an object.")
    return data


def _converted(
    kind: str,
    number: int,
    post: dict[str, Any],
    lang: str,
    post_tags: list[dict[str, Any]],
    site_url: str | None,
) -> Converted:
    notes: list[str] = []
    html = post.get("html") or ""
    if not site_url and (GHOST_URL in html or GHOST_URL in (post.get("feature_image") or "")):
        notes.append("Links to __GHOST_URL__ made root-relative: give --site-url for full URLs.")
    html = _resolved(html, site_url)
    preview, marker, _ = html.partition(MEMBERS_ONLY)
    body = embeds_to_links(html.replace(MEMBERS_ONLY, ""))
    status = _STATUS.get(post.get("status") or "", "draft")
    visibility = post.get("visibility") or "public"
    summary = excerpt(post.get("custom_excerpt"))
    if visibility != "public" and marker and not summary:
        summary = excerpt(to_plain_text(preview))  # Ghost's public preview
    title, note = title_or_text(" ".join((post.get("title") or "").split()), body)
    if note:
        notes.append(note)
    line: dict[str, Any] = {
        "external_id": f"ghost:{post.get('uuid') or post['id']}",
        "original_lang": lang,
        "status": status,
        "published_at": _date(post.get("published_at"), "published_at"),
        "tags": unique_tags([tag(t.get("name") or "", t.get("slug"), lang) for t in post_tags]),
        "translations": [
            {
                "lang": lang,
                "title": title,
                "slug": slug_from(post.get("slug")),
                "excerpt": summary,
                "body": body,
            }
        ],
    }
    updated = _date(post.get("updated_at"), "updated_at")
    if updated:
        line["updated_at"] = updated
    raw_date = post.get("published_at")
    if line["published_at"] is None and raw_date not in (None, "") and status == "published":
        notes.append(
            f"Date '{raw_date}' (published_at) could not be read: published with the import "
            "time as its date (set the date in the editor)."
        )
    if visibility != "public":
        restrict(line, notes, f"Visibility '{visibility}'")
    return Converted(kind, number, line, source_id=str(post.get("id")), notes=notes)


def _resolved(text: str, site_url: str | None) -> str:
    return text.replace(GHOST_URL, (site_url or "").rstrip("/"))


def _date(value: Any, name: str) -> str | None:
    """Ghost writes ISO 8601 in UTC (`2024-07-01T10:00:00.000Z`); epoch milliseconds in
    some old versions."""
    if isinstance(value, int | float):
        try:
            return utc(datetime.fromtimestamp(value / 1000, UTC))
        except (OverflowError, OSError, ValueError) as exc:
            raise ItemFailed.of(name, f"{value} ms since 1970 is no date.") from exc
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
