"""The migrations build the schema the models describe, and unwind to nothing."""

import pytest
from sqlalchemy import create_engine, inspect

from app.core import migrations
from app.models import Base


@pytest.fixture
def scratch_url(database_url: str, tmp_path: pytest.TempPathFactory) -> str:
    """A second, empty database of the same backend (the session one stays migrated)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path}/scratch.sqlite3"  # type: ignore[operator]
    from tests.conftest import _create_postgres_database

    return _create_postgres_database()


def test_upgrade_check_downgrade_upgrade(scratch_url: str) -> None:
    try:
        migrations.upgrade(scratch_url)
        migrations.check(scratch_url)  # raises if models and migrations disagree
        engine = create_engine(scratch_url)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        migrations.downgrade(scratch_url, "base")
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        migrations.upgrade(scratch_url)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
        engine.dispose()
    finally:
        if not scratch_url.startswith("sqlite"):
            from tests.conftest import _drop_postgres_database

            _drop_postgres_database(scratch_url)


def test_plain_text_migration_cleans_rows_stored_before(scratch_url: str) -> None:
    """cc8eaaf3a950: titles, excerpts and names stored with markup or control characters
    (as writes allowed before) come out plain text; the changed article moves in the change
    log; a clean article is left alone."""
    from sqlalchemy import text

    try:
        migrations.upgrade(scratch_url, "30986cfb387b")
        engine = create_engine(scratch_url)
        dirty, clean = "0" * 31 + "1", "0" * 31 + "2"
        uuid_value = (lambda h: h) if scratch_url.startswith("sqlite") else _dashed
        with engine.begin() as conn:
            conn.execute(text("UPDATE sync_state SET seq = 10"))
            for article_id in (dirty, clean):
                conn.execute(
                    text(
                        "INSERT INTO articles (id, original_lang, status, created_at, "
                        "updated_at, version, change_seq) VALUES (:id, 'uk', 'draft', "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, 5)"
                    ),
                    {"id": uuid_value(article_id)},
                )
            rows = [
                (dirty, "<b>Заголовок</b>\x01 &amp; co", "&lt;img src=x onerror=alert(1)&gt;Ok"),
                (clean, "Чистий", "Текст"),
            ]
            for n, (article_id, title, excerpt) in enumerate(rows):
                body = "<p>x\x02</p>" if article_id == dirty else "<p>x</p>"
                conn.execute(
                    text(
                        "INSERT INTO article_translations (article_id, lang, title, slug, "
                        "excerpt, body, updated_at) VALUES (:a, 'uk', :t, :s, :e, :b, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {
                        "a": uuid_value(article_id),
                        "t": title,
                        "s": f"s-{n}",
                        "e": excerpt,
                        "b": body,
                    },
                )
            conn.execute(
                text(
                    "INSERT INTO tags (id, slug, created_at, updated_at) "
                    "VALUES (1, 'news', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(text("INSERT INTO tag_names VALUES (1, 'uk', '<i>Новини</i>\x1f')"))

        migrations.upgrade(scratch_url)

        with engine.connect() as conn:
            translations = conn.execute(
                text("SELECT title, excerpt, body FROM article_translations ORDER BY slug")
            ).all()
            seqs = conn.execute(text("SELECT change_seq FROM articles ORDER BY id")).scalars()
            assert [tuple(row) for row in translations] == [
                ("Заголовок & co", "Ok", "<p>x</p>"),
                ("Чистий", "Текст", "<p>x</p>"),
            ]
            assert list(seqs) == [11, 5]  # the clean one keeps its place
            assert conn.execute(text("SELECT name FROM tag_names")).scalar_one() == "Новини"
            assert conn.execute(text("SELECT seq FROM sync_state")).scalar_one() == 12
        migrations.downgrade(scratch_url, "30986cfb387b")
        engine.dispose()
    finally:
        if not scratch_url.startswith("sqlite"):
            from tests.conftest import _drop_postgres_database

            _drop_postgres_database(scratch_url)


def _dashed(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"
