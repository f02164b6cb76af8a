"""Every article as NDJSON lines in the import format (app.imports.schemas.ArticleLine), so
that export then import reproduces the content: ids and timestamps included."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from app.articles import repository as articles_repo
from app.exports import repository as repo

PAGE_SIZE = 500


def export_lines(sessions: sessionmaker[Session], page_size: int = PAGE_SIZE) -> Iterator[bytes]:
    """NDJSON, a page of articles per chunk. Each page is read in its own short transaction,
    so a long download holds no snapshot open and memory stays flat."""
    after = None
    while True:
        with sessions() as session:
            rows = repo.article_page(session, after, page_size)
            chunk = b"".join(orjson.dumps(line) + b"\n" for line in _lines(session, rows))
        if chunk:
            yield chunk
        if len(rows) < page_size:
            return
        after = rows[-1].id


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
    tag_names = articles_repo.tag_names(session, sorted({t.id for v in tags.values() for t in v}))
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
            "cover_image_url": row.cover_image_url,
            "featured": row.featured,
            "tags": [
                {"slug": t.slug, "names": tag_names.get(t.id, {}), "kind": t.kind}
                for t in tags[row.id]
            ],
            "authors": [
                {
                    "slug": a.slug,
                    "names": author_names.get(a.id, {}),
                    "bios": author_bios.get(a.id, {}),
                    "photo_url": a.photo_url,
                    "links": a.links,
                }
                for a in authors[row.id]
            ],
            "citations": [
                {
                    "source": {
                        "slug": c.slug,
                        "names": source_names.get(c.source_id, {}),
                        "kind": c.kind,
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
                    "title": t.title,
                    "slug": t.slug,
                    "excerpt": t.excerpt,
                    "body": t.body,
                    "updated_at": t.updated_at,
                }
                for t in translations[row.id]
            ],
        }
