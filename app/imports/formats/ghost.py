"""Ghost's JSON export (Settings → Labs → Export): posts, tags and posts_tags.

Pages and internal (`#hash`) tags are skipped; `html` is the body (Ghost renders it from
its editor's document into the export); `uuid` makes the external_id.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from app.imports.formats.common import (
    ConversionFailed,
    excerpt,
    primary_lang,
    slug_from,
    tag,
    unique_tags,
    utc,
)

_STATUS = {"published": "published", "scheduled": "published", "sent": "published"}


def convert(stream: IO[bytes], default_lang: str) -> Iterator[dict[str, Any]]:
    data = _data(stream.read())
    tags = {t["id"]: t for t in data.get("tags") or [] if t.get("visibility") != "internal"}
    links: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for link in data.get("posts_tags") or []:
        links[link["post_id"]].append((link.get("sort_order") or 0, link["tag_id"]))
    for post in data.get("posts") or []:
        if post.get("type", "post") != "post":
            continue
        lang = primary_lang(post.get("locale"), default_lang)
        post_tags = [tags[tag_id] for _, tag_id in sorted(links[post["id"]]) if tag_id in tags]
        yield _line(post, lang, post_tags)


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


def _line(post: dict[str, Any], lang: str, post_tags: list[dict[str, Any]]) -> dict[str, Any]:
    status = _STATUS.get(post.get("status") or "", "draft")
    line: dict[str, Any] = {
        "external_id": f"ghost:{post.get('uuid') or post['id']}",
        "original_lang": lang,
        "status": status,
        "published_at": _date(post.get("published_at")),
        "tags": unique_tags([tag(t.get("name") or "", t.get("slug"), lang) for t in post_tags]),
        "translations": [
            {
                "lang": lang,
                "title": " ".join((post.get("title") or "").split()),
                "slug": slug_from(post.get("slug")),
                "excerpt": excerpt(post.get("custom_excerpt")),
                "body": post.get("html") or "",
            }
        ],
    }
    updated = _date(post.get("updated_at"))
    if updated:
        line["updated_at"] = updated
    image = post.get("feature_image") or ""
    if image.startswith(("http://", "https://")):
        line["cover_image_url"] = image
    return line


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
