"""The import_hash migration goes down and up again without touching stored articles."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, inspect, select

from app.core import migrations
from app.core.config import Settings
from app.core.db import make_session_factory, unit_of_work
from app.keys.service import create_key
from app.main import create_app
from app.models import ArticleTranslation, KeyScope
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.imports.helpers import NDJSON, article_line, counts, ndjson

BEFORE_IMPORT_HASH = "51489ec14a04"


@pytest.fixture
def empty_database(database_url: str, tmp_path: pytest.TempPathFactory) -> Iterator[str]:
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/migrations.sqlite3"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def test_downgrading_past_import_hash_keeps_articles_and_their_search_index(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database)
    engine = create_engine(empty_database)
    with unit_of_work(make_session_factory(engine, write=True)) as session:
        key = create_key(session, name="m", scope=KeyScope.WRITE).secret
    headers = {"Authorization": f"Bearer {key}", **NDJSON}
    body = ndjson(article_line(n) for n in range(3))
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        assert client.post("/v1/imports", content=body, headers=headers).status_code == 200

    migrations.downgrade(empty_database, BEFORE_IMPORT_HASH)

    columns = {c["name"] for c in inspect(engine).get_columns("articles")}
    assert "import_hash" not in columns
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ArticleTranslation)) == 6
    migrations.upgrade(empty_database)
    engine.dispose()
    with TestClient(create_app(Settings(database_url=empty_database))) as client:
        again = client.post("/v1/imports", content=body, headers=headers)
        found = client.get("/v1/search", params={"q": "Новина"}).json()["data"]
    # Hashes were dropped: the lines are compared with what is stored, which is the same.
    assert counts(again.json()) == (0, 0, 3, 0)
    assert len(found) == 3
