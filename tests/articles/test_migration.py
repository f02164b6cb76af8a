"""Migration 5b7e2c91d4a3 on a database with articles: a cover stored as cover_image_url
comes back as cover_image.url, every article stays a public article, and downgrading gives
the URL back to the old column."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text

from app.core import migrations
from app.core.config import Settings
from app.main import create_app
from tests.conftest import SELECTED, _create_postgres_database, _drop_postgres_database

BEFORE = "30986cfb387b"  # the revision before 2026_11_30-article_media_seo_pages_visibility
COVER = "https://img.example/old-cover.jpg"


@pytest.fixture(params=SELECTED)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def test_an_old_cover_url_reads_back_as_cover_image_and_goes_back_on_downgrade(
    fresh_url: str,
) -> None:
    migrations.upgrade(fresh_url, BEFORE)
    engine = create_engine(fresh_url)
    article_id = uuid.uuid4()
    stored_id = article_id.hex if engine.dialect.name == "sqlite" else str(article_id)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO articles (id, original_lang, status, published_at, created_at,"
                " updated_at, version, change_seq, cover_image_url) VALUES (:id, 'uk',"
                " 'published', '2024-01-01 00:00:00+00:00', '2024-01-01 00:00:00+00:00',"
                " '2024-01-01 00:00:00+00:00', 1, 0, :cover)"
            ),
            {"id": stored_id, "cover": COVER},
        )
        conn.execute(
            text(
                "INSERT INTO article_translations (article_id, lang, title, slug, excerpt, body,"
                " updated_at) VALUES (:id, 'uk', 'Стара новина', 'stara', '', '<p>Текст</p>',"
                " '2024-01-01 00:00:00+00:00')"
            ),
            {"id": stored_id},
        )
    try:
        migrations.upgrade(fresh_url)
        migrations.check(fresh_url)
        with TestClient(create_app(Settings(database_url=fresh_url))) as client:
            [item] = client.get("/v1/articles").json()["data"]
            article = client.get("/v1/articles/stara").json()
            found = client.get("/v1/search", params={"q": "текст"}).json()["data"]
        expected = {
            "url": COVER,
            "width": None,
            "height": None,
            "alt": None,
            "caption": None,
            "credit": None,
        }
        assert (item["id"], item["cover_image"], item["visibility"]) == (
            str(article_id),
            expected,
            "public",
        )
        assert (article["cover_image"], article["body"]) == (expected, "<p>Текст</p>")
        assert [hit["id"] for hit in found] == [str(article_id)]  # search triggers kept

        migrations.downgrade(fresh_url, BEFORE)
        columns = {c["name"] for c in inspect(engine).get_columns("articles")}
        assert "cover_image_url" in columns
        assert {"cover_url", "type", "visibility", "canonical_url"}.isdisjoint(columns)
        translation_columns = {
            c["name"] for c in inspect(engine).get_columns("article_translations")
        }
        assert {"cover_alt", "meta_title", "og_image"}.isdisjoint(translation_columns)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT cover_image_url FROM articles")).scalar_one() == COVER
        migrations.upgrade(fresh_url)
    finally:
        engine.dispose()
