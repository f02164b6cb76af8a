"""The search migration on a database that already has articles: upgrade indexes them,
downgrade removes every object it made, and upgrade again works."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, inspect, text

from app.core import migrations
from app.core.config import Settings
from app.main import create_app
from app.search.analysis import index_columns, verbatim
from tests.conftest import SELECTED, _create_postgres_database, _drop_postgres_database

BEFORE_SEARCH = "804c4ac7b9aa"  # the revision before 2026_11_25-full_text_search


@pytest.fixture(params=SELECTED)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def _search_objects(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'article_search%'")
            )
            return {row.name for row in rows}
    columns = {c["name"] for c in inspect(engine).get_columns("article_translations")}
    indexes = {i["name"] for i in inspect(engine).get_indexes("article_translations")}
    return {name for name in columns | indexes if name and name.startswith("article_search")}


def _hits(url: str, q: str, **settings: str) -> list[str]:
    with TestClient(create_app(Settings(database_url=url, **settings))) as client:
        response = client.get("/v1/search", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def _insert_article(conn: Connection, key: str, original_lang: str = "uk") -> None:
    """A published article row, in plain SQL (any revision's articles table takes it)."""
    conn.execute(
        text(
            "INSERT INTO articles (id, original_lang, status, published_at, created_at,"
            " updated_at, version, change_seq) VALUES (:id, :lang, 'published',"
            " '2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00',"
            " '2024-01-01 00:00:00+00:00', 1, 0)"
        ),
        {"id": key, "lang": original_lang},
    )


def test_upgrade_indexes_existing_articles_and_downgrade_removes_everything(
    fresh_url: str,
) -> None:
    migrations.upgrade(fresh_url, BEFORE_SEARCH)
    engine = create_engine(fresh_url)
    article_id = uuid.uuid4()
    key = article_id.hex if engine.dialect.name == "sqlite" else str(article_id)
    with engine.begin() as conn:
        _insert_article(conn, key)
        conn.execute(
            text(
                "INSERT INTO article_translations (article_id, lang, title, slug, excerpt, body,"
                " updated_at) VALUES (:id, 'uk', 'Стара новина', 'stara', '', '<p>Текст</p>',"
                " '2024-01-01 00:00:00+00:00')"
            ),
            {"id": key},
        )
    try:
        assert _search_objects(engine) == set()

        migrations.upgrade(fresh_url)
        assert _search_objects(engine) != set()
        migrations.check(fresh_url)
        assert _hits(fresh_url, "стара новина") == [str(article_id)]

        migrations.downgrade(fresh_url, BEFORE_SEARCH)
        assert _search_objects(engine) == set()

        migrations.upgrade(fresh_url)
        assert _hits(fresh_url, "НОВИНА") == [str(article_id)]
    finally:
        engine.dispose()


BEFORE_LEMMAS = "30986cfb387b"  # the revision before 2026_11_30-search_by_lemma


def test_the_lemma_migration_analyses_existing_articles_and_downgrades_cleanly(
    fresh_url: str,
) -> None:
    migrations.upgrade(fresh_url, BEFORE_LEMMAS)
    engine = create_engine(fresh_url)
    article_id = uuid.uuid4()
    key = article_id.hex if engine.dialect.name == "sqlite" else str(article_id)
    with engine.begin() as conn:
        _insert_article(conn, key)
        for lang, title, body in (
            ("uk", "Підсумки року", "<p>Ціни в гривнях.</p>"),
            ("en", "Year in review", "<p>Two countries.</p>"),
        ):
            conn.execute(
                text(
                    "INSERT INTO article_translations (article_id, lang, title, slug, excerpt,"
                    " body, updated_at) VALUES (:id, :lang, :title, :slug, '', :body,"
                    " '2024-01-01 00:00:00+00:00')"
                ),
                {"id": key, "lang": lang, "title": title, "slug": f"s-{lang}", "body": body},
            )
    try:
        migrations.upgrade(fresh_url)
        migrations.check(fresh_url)
        for q in ("рік", "гривня", "country", '"Підсумки року"', "гривн*"):
            assert _hits(fresh_url, q) == [str(article_id)], q

        migrations.downgrade(fresh_url, BEFORE_LEMMAS)
        columns = {c["name"] for c in inspect(engine).get_columns("article_translations")}
        assert not {"lemmas_title", "lemmas_excerpt", "lemmas_body"} & columns
        objects = _search_objects(engine)
        if engine.dialect.name == "sqlite":  # the FTS5 table and triggers of the raw text
            assert {"article_search", "article_search_ai", "article_search_au"} <= objects
        else:  # the raw-text vectors again, no lemma vector
            assert {"article_search_vector", "article_search_title"} <= objects
            assert "article_search_lemmas" not in objects

        migrations.upgrade(fresh_url)
        assert _hits(fresh_url, "РОКІВ") == [str(article_id)]
    finally:
        engine.dispose()


BEFORE_SNOWBALL = "3f9d2c7a51e8"  # the revision before 2026_12_08-search_snowball_languages


def test_the_snowball_migration_reindexes_other_languages_and_gives_them_back(
    fresh_url: str,
) -> None:
    """Issue 20: a Polish translation stored when only Ukrainian and English were analysed
    holds its words as written; the upgrade stems them (`wojsko` finds `wojska`), leaves
    the Ukrainian one be, and the downgrade puts the words as written back."""
    migrations.upgrade(fresh_url, BEFORE_SNOWBALL)
    engine = create_engine(fresh_url)
    article_id = uuid.uuid4()
    key = article_id.hex if engine.dialect.name == "sqlite" else str(article_id)
    with engine.begin() as conn:
        _insert_article(conn, key, "pl")
        for lang, title in (("uk", "Військо наступає"), ("pl", "Wojska wkroczyły")):
            # The lemma columns as the code before this migration wrote them.
            before = index_columns(lang, title, "", "", None if lang == "uk" else verbatim)
            conn.execute(
                text(
                    "INSERT INTO article_translations (article_id, lang, title, slug, excerpt,"
                    " body, updated_at, lemmas_title, lemmas_excerpt, lemmas_body) VALUES"
                    " (:id, :lang, :title, :slug, '', '', '2024-01-01 00:00:00+00:00',"
                    " :lemmas_title, :lemmas_excerpt, :lemmas_body)"
                ),
                {"id": key, "lang": lang, "title": title, "slug": f"s-{lang}", **before},
            )

    def titles() -> dict[str, str]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT lang, lemmas_title FROM article_translations"))
            return {lang: terms for lang, terms in rows}

    try:
        assert titles() == {"uk": "військо наступати", "pl": "wojska wkroczyły"}
        migrations.upgrade(fresh_url)
        migrations.check(fresh_url)
        assert titles() == {"uk": "військо наступати", "pl": "wojsk wkroczył"}
        assert _hits(fresh_url, "wojsko", site_languages="uk,en,pl") == [str(article_id)]

        migrations.downgrade(fresh_url, BEFORE_SNOWBALL)
        assert titles() == {"uk": "військо наступати", "pl": "wojska wkroczyły"}
    finally:
        engine.dispose()
