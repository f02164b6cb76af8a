"""Migration 7c1e4a9b2d3f (authors, featured, tag kinds) keeps what was stored, both ways."""

import uuid

from sqlalchemy import create_engine, inspect, text

from app.core import migrations

BEFORE = "30986cfb387b"
REVISION = "7c1e4a9b2d3f"


def test_existing_articles_and_tags_are_kept_up_and_down(empty_database: str) -> None:
    migrations.upgrade(empty_database, BEFORE)
    engine = create_engine(empty_database)
    article_id = uuid.uuid4()
    now = "2024-07-01 10:00:00+00:00"
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO tags (id, slug, created_at, updated_at) VALUES (1, 'news', :t, :t)"),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO articles (id, original_lang, status, published_at, created_at, "
                "updated_at, version, change_seq) "
                "VALUES (:id, 'uk', 'published', :t, :t, :t, 1, 0)"
            ),
            {"id": article_id.hex if empty_database.startswith("sqlite") else article_id, "t": now},
        )
        conn.execute(
            text("INSERT INTO article_tags (article_id, tag_id, position) VALUES (:id, 1, 0)"),
            {"id": article_id.hex if empty_database.startswith("sqlite") else article_id},
        )

    migrations.upgrade(empty_database, REVISION)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug, kind FROM tags")).all() == [("news", "topic")]
        assert conn.execute(text("SELECT featured FROM articles")).scalars().all() == [False]
        assert conn.execute(text("SELECT count(*) FROM article_tags")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM article_authors")).scalar() == 0

    migrations.downgrade(empty_database, BEFORE)
    assert {"authors", "author_names", "article_authors"}.isdisjoint(
        inspect(engine).get_table_names()
    )
    assert "featured" not in {c["name"] for c in inspect(engine).get_columns("articles")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM article_tags")).scalar() == 1
        assert conn.execute(text("SELECT slug FROM tags")).scalars().all() == ["news"]
    engine.dispose()
