"""The search index follows every write path: the editor API, bulk SQL as an import does
it (inserts, upserts, replaces, deletes: the writer computes the lemma columns, the
database indexes them), cascades, and huge bodies."""

import uuid
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from app.models import Article, ArticleTranslation, utcnow
from app.search.analysis import index_columns
from app.search.indexing import LEMMA_COLUMNS as LEMMAS
from tests.conftest import RecordingClient
from tests.factories import bulk_import, hours_ago, make_article


def found(client: RecordingClient, q: str) -> list[str]:
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def test_search_follows_every_editor_write(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Перший", body="<p>Альфа.</p>")
    url = f"/v1/editor/articles/{article['id']}"
    assert found(client, "альфа") == [article["id"]]

    replaced = client.put(
        f"{url}/translations/uk",
        json={"title": "Перший", "body": "<p>Бета.</p>"},
        headers=editor_headers,
    )
    assert replaced.status_code == 200, replaced.text
    assert found(client, "альфа") == []
    assert found(client, "бета") == [article["id"]]

    added = client.put(
        f"{url}/translations/en",
        json={"title": "First", "body": "<p>Gamma.</p>"},
        headers=editor_headers,
    )
    assert added.status_code == 201, added.text
    assert found(client, "gamma") == [article["id"]]
    assert client.delete(f"{url}/translations/en", headers=editor_headers).status_code == 200
    assert found(client, "gamma") == []

    assert client.post(f"{url}/unpublish", headers=editor_headers).status_code == 200
    assert found(client, "бета") == []
    assert client.post(f"{url}/publish", json={}, headers=editor_headers).status_code == 200
    assert found(client, "бета") == [article["id"]]

    assert client.delete(url, headers=editor_headers).status_code == 204
    assert found(client, "бета") == []
    assert found(client, "перший") == []


def _upsert(session: Session, rows: list[dict[str, Any]], *, replace: bool = False) -> None:
    """Translations written the way a bulk import does: one SQL statement, no ORM."""
    dialect = session.get_bind().dialect.name
    table = ArticleTranslation.__table__
    if replace:  # SQLite's INSERT OR REPLACE deletes the old row, then inserts
        session.execute(insert(table).prefix_with("OR REPLACE"), rows)
        return
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["article_id", "lang"],
            set_={name: statement.excluded[name] for name in ("title", "excerpt", "body", *LEMMAS)},
        ),
        rows,
    )


def _translation(article_id: uuid.UUID, n: int, body: str) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "lang": "uk",
        "title": f"Імпорт {n}",
        "slug": f"import-{n}",
        "excerpt": "",
        "body": body,
        "updated_at": utcnow(),
        **index_columns("uk", f"Імпорт {n}", "", body),
    }


def test_bulk_sql_inserts_upserts_and_deletes_keep_search_current(
    client: RecordingClient, sessions: sessionmaker[Session]
) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    with bulk_import(sessions) as session:
        session.execute(
            insert(Article.__table__),
            [
                {
                    "id": article_id,
                    "original_lang": "uk",
                    "status": "published",
                    "published_at": hours_ago(n + 1),
                    "created_at": utcnow(),
                    "updated_at": utcnow(),
                    "version": 1,
                    "change_seq": 0,
                }
                for n, article_id in enumerate(ids)
            ],
        )
        _upsert(session, [_translation(ids[n], n + 1, "<p>Ожеледиця.</p>") for n in range(3)])
    assert found(client, "ожеледиця") == [str(i) for i in ids]

    with bulk_import(sessions) as session:
        _upsert(session, [_translation(ids[0], 1, "<p>Відлига.</p>")])
    assert found(client, "ожеледиця") == [str(ids[1]), str(ids[2])]
    assert found(client, "відлига") == [str(ids[0])]

    if sessions.kw["bind"].dialect.name == "sqlite":
        with bulk_import(sessions) as session:
            _upsert(session, [_translation(ids[1], 2, "<p>Туман.</p>")], replace=True)
        assert found(client, "ожеледиця") == [str(ids[2])]
        assert found(client, "туман") == [str(ids[1])]

    with bulk_import(sessions) as session:  # ON DELETE CASCADE takes the translations
        session.execute(delete(Article).where(Article.id.in_(ids[1:])))
    assert found(client, "ожеледиця") == []
    assert found(client, "туман") == []
    assert found(client, "імпорт") == [str(ids[0])]


def test_a_body_of_a_million_characters_is_stored_and_found(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    # ~140,000 distinct words: more than one PostgreSQL tsvector can hold (1 MB), which
    # the index must survive rather than fail the write.
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(letters[(n // 26**k) % 26] for k in range(5)) for n in range(140_000)]
    body = "<p>" + " ".join(f"x{word}" for word in words)[:999_990] + "</p>"
    article = make_article(client, editor_headers, title="Великий текст", body=body)

    assert found(client, "xaaaaa") == [article["id"]]
    assert found(client, "великий") == [article["id"]]
