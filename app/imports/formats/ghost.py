"""Ghost's JSON export (Settings → Labs → Export; versions 2 to 5): posts and their tags.

- `html` is the body (Ghost renders its editor's document into the export); `uuid` makes
  the external_id; `__GHOST_URL__` (Ghost 4+) is resolved against `--site-url`;
- tags in `posts_tags` order (`sort_order` 0 is the primary tag); internal `#` tags left out;
- a `members`/`paid`/`tiers` post is never public: the part before `<!--members-only-->`
  (Ghost's public preview) is its excerpt, and it is imported as a draft until the model
  has a restricted visibility;
- pages (`type: page`, or `page: true` before Ghost 3) are reported as skipped;
- the site's `locale` setting is the language of its posts (else `--lang`).
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from app.core.html import to_plain_text
from app.imports.formats.common import (
    ConversionFailed,
    Converted,
    Item,
    Options,
    Skipped,
    excerpt,
    primary_lang,
    slug_from,
    tag,
    title_or_text,
    unique_tags,
    utc,
)
from app.imports.formats.wp_content import embeds_to_links

_STATUS = {"published": "published", "scheduled": "published", "sent": "published"}
MEMBERS_ONLY = "<!--members-only-->"
GHOST_URL = "__GHOST_URL__"


def convert(stream: IO[bytes], options: Options) -> Iterator[Item]:
    data = _data(stream.read())
    tags = {t["id"]: t for t in data.get("tags") or [] if t.get("visibility") != "internal"}
    links: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for link in data.get("posts_tags") or []:
        links[link["post_id"]].append((link.get("sort_order") or 0, link["tag_id"]))
    settings = {s.get("key"): s.get("value") for s in data.get("settings") or []}
    # `locale` since Ghost 5, `lang` before, `default_locale` in Ghost 1.
    locale = settings.get("locale") or settings.get("lang") or settings.get("default_locale")
    site_lang = primary_lang(locale, options.default_lang)
    for number, post in enumerate(data.get("posts") or [], 1):
        # `type` since Ghost 3; `page: 1` before.
        page = post.get("type") == "page" or post.get("page") in (1, "1")
        kind = "page" if page else "post"
        if page:
            reason = "A static page: pages are not imported as articles."
            yield Skipped(kind, number, reason, source_id=str(post.get("id")))
            continue
        lang = primary_lang(post.get("locale"), site_lang)
        post_tags = [tags[tag_id] for _, tag_id in sorted(links[post["id"]]) if tag_id in tags]
        yield _converted(kind, number, post, lang, post_tags, options.site_url)


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
    if visibility != "public":
        status = "draft"
        notes.append(f"Visibility '{visibility}' at the source: imported as a draft, not public.")
        if marker and not summary:
            summary = excerpt(to_plain_text(preview))
    title, note = title_or_text(" ".join((post.get("title") or "").split()), body)
    if note:
        notes.append(note)
    line: dict[str, Any] = {
        "external_id": f"ghost:{post.get('uuid') or post['id']}",
        "original_lang": lang,
        "status": status,
        "published_at": _date(post.get("published_at")),
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
    updated = _date(post.get("updated_at"))
    if updated:
        line["updated_at"] = updated
    image = _resolved(post.get("feature_image") or "", site_url)
    if image.startswith(("http://", "https://")):
        line["cover_image_url"] = image
    return Converted(kind, number, line, source_id=str(post.get("id")), notes=notes)


def _resolved(text: str, site_url: str | None) -> str:
    return text.replace(GHOST_URL, (site_url or "").rstrip("/"))


def _date(value: Any) -> str | None:
    """Ghost writes ISO 8601 in UTC (`2024-07-01T10:00:00.000Z`); epoch milliseconds in
    some old versions."""
    if isinstance(value, int | float):
        return utc(datetime.fromtimestamp(value / 1000, UTC))
    if not isinstance(value, str) or not value:
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None
