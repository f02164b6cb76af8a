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
