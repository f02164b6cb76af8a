"""`alembic upgrade head` then `alembic check` on every selected database: a model change
without a migration fails here (and so in CI)."""

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core import migrations
from tests.conftest import (
    SELECTED,
    _create_postgres_database,
    _drop_postgres_database,
)


def main() -> None:
    for backend in SELECTED:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite:///{os.path.join(tmp, 'check.sqlite3')}"
                migrations.upgrade(url)
                migrations.check(url)
        else:
            url = _create_postgres_database()
            try:
                migrations.upgrade(url)
                migrations.check(url)
            finally:
                _drop_postgres_database(url)
        print(f"migrations: {backend} upgrade head + check clean")


if __name__ == "__main__":
    main()
