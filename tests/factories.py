"""Plain typed helpers that create content the way an editor does (through the API) or,
in bulk, the way an import does (plain SQL)."""

import html
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from app.articles.repository import next_change_seq
from app.core.changes import EVERYTHING
from app.core.db import unit_of_work
from app.search.analysis import index_columns

_counter = iter(range(1, 10**9))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def make_tag(
    client: TestClient, headers: dict[str, str], slug: str, **names: str
) -> dict[str, Any]:
    response = client.post(
        "/v1/editor/tags", json={"slug": slug, "names": names or {"en": slug}}, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_source(
    client: TestClient, headers: dict[str, str], slug: str, kind: str | None = None, **names: str
) -> dict[str, Any]:
    response = client.post(
        "/v1/editor/sources",
        json={"slug": slug, "names": names or {"en": slug}, "kind": kind},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_author(
    client: TestClient, headers: dict[str, str], slug: str, **fields: Any
) -> dict[str, Any]:
    """An author through POST /v1/editor/authors; `fields` as the API takes them."""
    payload = {"slug": slug, "names": {"en": slug}, **fields}
    response = client.post("/v1/editor/authors", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def make_article(
    client: httpx2.Client,
    headers: dict[str, str],
    *,
    lang: str = "uk",
    title: str | None = None,
    status: str = "published",
    published_at: datetime | None = None,
    tags: list[str] | None = None,
    citations: list[dict[str, Any]] | None = None,
    body: str = "<p>Текст.</p>",
    translations: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An article through POST /v1/editor/articles; published an hour ago unless told."""
    n = next(_counter)
    payload: dict[str, Any] = {
        "original_lang": lang,
        "status": status,
        "published_at": iso(published_at or hours_ago(1)),
        "tags": tags or [],
        "citations": citations or [],
        "translations": translations
        or [{"lang": lang, "title": title or f"Стаття номер {n}", "body": body}],
        **extra,
    }
    if status != "published" and published_at is None:
        payload["published_at"] = None
    response = client.post("/v1/editor/articles", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def feed_ids(client: TestClient, url: str = "/v1/articles", **params: Any) -> list[str]:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def walk_feed(client: TestClient, limit: int, **params: Any) -> list[str]:
    """Every id the feed yields, following next_cursor to the end."""
    ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/articles", params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [item["id"] for item in body["data"]]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return ids


def seed_published(sessions: Any, moments: list[datetime], lang: str = "uk") -> list[str]:
    """Many public articles at once through the editing service (the HTTP path is tested
    elsewhere; this keeps 1,000-article tests fast). Returns ids in creation order."""
    from app.articles.editing import create_article
    from app.articles.schemas import ArticleCreate
    from app.core.db import unit_of_work

    ids: list[str] = []
    with unit_of_work(sessions) as session:
        for i, moment in enumerate(moments):
            article = create_article(
                session,
                ArticleCreate.model_validate(
                    {
                        "original_lang": lang,
                        "status": "published",
                        "published_at": iso(moment),
                        "translations": [
                            {"lang": lang, "title": f"Допис {i}", "slug": f"dopys-{i}"}
                        ],
                    }
                ),
            )
            ids.append(str(article.id))
    return ids


@contextmanager
def bulk_import(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One import's transaction of plain SQL. Like every write it takes the next change
    number, which is also what tells response caches that the data changed."""
    with unit_of_work(sessions) as session:
        yield session
        next_change_seq(session, [EVERYTHING])


Rows = list[dict[str, Any]]


def news_rows(data_dir: Path, copies: int = 1, *, lemmas: bool = True) -> tuple[Rows, Rows]:
    """`articles` and `article_translations` rows of the real news in
    ntrex-en-uk.jsonl (English originals with Ukrainian translations), `copies` times, as
    a bulk import writes them: excerpt = first paragraph, body = the others as <p>s,
    published a minute apart going back from 2024-07-01; with the lemma columns search
    indexes unless `lemmas` is False (a schema from before them)."""
    lines = (data_dir / "ntrex-en-uk.jsonl").read_text(encoding="utf-8").splitlines()
    docs = [json.loads(line) for line in lines]
    start = datetime(2024, 7, 1, tzinfo=UTC)
    articles: Rows = []
    translations: Rows = []
    for n in range(copies * len(docs)):
        doc, article_id, moment = docs[n % len(docs)], uuid.uuid4(), start - timedelta(minutes=n)
        articles.append(
            {
                "id": article_id,
                "original_lang": "en",
                "status": "published",
                "published_at": moment,
                "created_at": moment,
                "updated_at": moment,
                "version": 1,
                "change_seq": 0,
            }
        )
        for lang in ("en", "uk"):
            paragraphs = doc[lang]["body"].split("\n")
            row = {
                "article_id": article_id,
                "lang": lang,
                "title": doc[lang]["title"],
                "slug": f"news-{n}",
                "excerpt": paragraphs[0],
                # As the sanitizer writes text: quotes stay quotes.
                "body": "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs[1:]),
                "updated_at": moment,
            }
            if lemmas:
                row |= index_columns(lang, row["title"], row["excerpt"], row["body"])
            translations.append(row)
    return articles, translations
