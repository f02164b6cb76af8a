"""Every article as NDJSON lines in the import format (app.imports.schemas.ArticleLine), so
that export then import reproduces the content: ids and timestamps included.

Text fields (titles, excerpts, names, a source's kind) are written as an import reads them:
as HTML text, `&`, `<` and `>` escaped, since an import decodes entities once. So export
then import gives back the very text stored, even one that reads `&lt;` as text.

The first line is the export's header, the last its trailer (app.imports.schemas.
ExportMarker): a stream cut short (a lost database connection, a dropped download) has no
trailer, and whoever reads it can tell."""

import html
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.articles import repository as articles_repo
from app.articles.rules import TRANSLATION_EXTRAS
from app.core.schemas import json_bytes
from app.exports import repository as repo
from app.imports.schemas import export_header, export_trailer

PAGE_SIZE = 500


def _text(value: str | None) -> str | None:
    """A stored plain text as an import line's text field: HTML text, decoded once."""
    return None if value is None else html.escape(value, quote=False)


URL_EXTRAS = {"og_image"}  # the other extras are plain text


def _names(names: dict[str, str]) -> dict[str, str | None]:
    return {lang: _text(name) for lang, name in names.items()}


def export_lines(sessions: sessionmaker[Session], page_size: int = PAGE_SIZE) -> Iterator[bytes]:
    """NDJSON, a page of articles per chunk. Each page is read in its own short transaction,
    so a long download holds no snapshot open and memory stays flat. The trailer is written
    only after the last page was read: an error on the way ends the stream without it."""
    yield json_bytes(export_header()) + b"\n"
    after = None
    count = 0
    while True:
        with sessions() as session:
            rows = repo.article_page(session, after, page_size)
            chunk = b"".join(
                json_bytes(line, exact_times=True) + b"\n" for line in _lines(session, rows)
            )
        count += len(rows)
        if len(rows) < page_size:
            yield chunk + json_bytes(export_trailer(count)) + b"\n"
            return
        yield chunk
        after = rows[-1].id


def stored_lines(session: Session, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    """The export lines of these articles, by id (an import compares what it would write
    with what is stored)."""
    return {line["id"]: line for line in _lines(session, repo.articles_by_id(session, ids))}


def _tag(tag: Any, names: dict[int, dict[str, str]], tree: dict[int, Any]) -> dict[str, Any]:
    """A tag as an import line gives it, its parents nested (`parent` only when it has one,
    so a flat site's export reads as before); a loop in the stored tree is cut."""
    item: dict[str, Any] = {}  # a holder: its "parent" is the tag itself
    node, seen = item, set()
    while tag is not None and tag.slug not in seen:
        seen.add(tag.slug)
        node["parent"] = {
            "slug": tag.slug,
            "names": _names(names.get(tag.id, {})),
            "kind": tag.kind,
        }
        node = node["parent"]
        tag = tree.get(tag.parent_id)
    return dict(item["parent"])


def _grouped(rows: Sequence[Any]) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.article_id].append(row)
    return grouped


def _lines(session: Session, rows: Sequence[repo.ArticleRow]) -> Iterator[dict[str, Any]]:
    if not rows:
        return
    ids = [row.id for row in rows]
    translations = _grouped(articles_repo.translations_of(session, ids, with_body=True))
    tags = _grouped(articles_repo.tags_of(session, ids))
    authors = _grouped(articles_repo.authors_of(session, ids))
    author_ids = sorted({a.id for v in authors.values() for a in v})
    author_names, author_bios = articles_repo.author_names(session, author_ids)
    citations = _grouped(articles_repo.citations_of(session, ids))
    tag_ids = {t.id for v in tags.values() for t in v}
    tree = repo.tag_tree(session, tag_ids)
    tag_names = articles_repo.tag_names(session, sorted(tree))
    source_names = articles_repo.source_names(
        session, sorted({c.source_id for v in citations.values() for c in v})
    )
    for row in rows:
        position_of = {c.id: c.position for c in citations[row.id]}
        yield {
            "external_id": row.external_id,
            "id": row.id,
            "original_lang": row.original_lang,
            "status": row.status,
            "published_at": row.published_at,
            "updated_at": row.updated_at,
            "type": row.type,
            "visibility": row.visibility,
            "canonical_url": row.canonical_url,
            "cover_image": (
                {"url": row.cover_url, "width": row.cover_width, "height": row.cover_height}
                if row.cover_url is not None
                else None
            ),
            "featured": row.featured,
            "tags": [_tag(tree[t.id], tag_names, tree) for t in tags[row.id]],
            "authors": [
                {
                    "slug": a.slug,
                    "names": _names(author_names.get(a.id, {})),
                    "bios": _names(author_bios.get(a.id, {})),
                    "photo_url": a.photo_url,
                    "links": a.links,
                }
                for a in authors[row.id]
            ],
            "citations": [
                {
                    "source": {
                        "slug": c.slug,
                        "names": _names(source_names.get(c.source_id, {})),
                        "kind": _text(c.kind),
                        "homepage_url": c.homepage_url,
                    },
                    "url": c.url,
                    "via": position_of.get(c.via_id) if c.via_id is not None else None,
                }
                for c in citations[row.id]
            ],
            "translations": [
                {
                    "lang": t.lang,
                    "title": _text(t.title),
                    "slug": t.slug,
                    "excerpt": _text(t.excerpt),
                    "body": t.body,
                    **{
                        name: getattr(t, name) if name in URL_EXTRAS else _text(getattr(t, name))
                        for name in TRANSLATION_EXTRAS
                    },
                    "updated_at": t.updated_at,
                }
                for t in translations[row.id]
            ],
        }
