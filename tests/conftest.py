"""Fixtures: every test runs against each selected real database, built by the migrations.

DOPYS_TEST_DATABASES picks the backends ("sqlite", "postgresql" or both, comma-separated);
DOPYS_TEST_POSTGRES_URL points at a server where we may create databases.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core import migrations
from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory, unit_of_work
from app.keys.service import create_key
from app.main import create_app
from app.models import Base, KeyScope

# No webhook delivery worker in every app and `dopys serve` a test starts (Settings read
# the environment); tests/webhooks turns it on where it is the subject.
os.environ.setdefault("WEBHOOKS_WORKER", "false")

SELECTED = [
    b.strip() for b in os.environ.get("DOPYS_TEST_DATABASES", "sqlite").split(",") if b.strip()
]
POSTGRES_URL = os.environ.get(
    "DOPYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _create_postgres_database() -> str:
    name = f"dopys_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=SELECTED)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend, migrated to head (so every run tests the migrations)."""
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'dopys.sqlite3'}"
        migrations.upgrade(url)
        yield url
    elif backend == "postgresql":
        url = _create_postgres_database()
        migrations.upgrade(url)
        yield url
        _drop_postgres_database(url)
    else:
        raise pytest.UsageError(f"unknown backend in DOPYS_TEST_DATABASES: {backend}")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


def _clean(engine: Engine) -> None:
    # sync_state keeps its one row; server_secrets its key (made by the migrations).
    kept = {"sync_state", "server_secrets"}
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in kept]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                conn.execute(table.delete())
        conn.execute(text("UPDATE sync_state SET seq = 0"))
        # The journal's first row, as the migration makes it (app.models.sync.ChangeJournal).
        conn.execute(
            text(
                "INSERT INTO change_journal (seq, changed_at, keys) "
                "SELECT seq, changed_at, '*' FROM sync_state WHERE id = 1"
            )
        )


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The engine, with every table emptied first: no test sees another's leftovers."""
    _clean(engine)
    yield engine


@pytest.fixture
def sessions(db: Engine) -> sessionmaker[Session]:
    return make_session_factory(db, write=True)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def app(db: Engine, settings: Settings) -> FastAPI:
    return create_app(settings)


class RecordingClient(TestClient):
    """A TestClient that remembers every 500 the app answered."""

    def __init__(self, app: FastAPI) -> None:
        # raise_server_exceptions=False: a bug surfaces as the 500 a user would get.
        super().__init__(app, raise_server_exceptions=False)
        self.server_errors: list[str] = []

    def request(self, method: str, url: httpx2._types.URLTypes, **kwargs: Any) -> httpx2.Response:
        response = super().request(method, url, **kwargs)
        if response.status_code == 500:
            self.server_errors.append(f"{method} {url} -> 500: {response.text[:500]}")
        return response


@contextmanager
def route_statements(app: FastAPI) -> Iterator[list[str]]:
    """SQL the routes run (the freshness check and the change journal's read have their own
    connection and are not counted): a response cache hit runs none."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    engine: Engine = app.state.read_engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def client(app: FastAPI) -> Iterator[RecordingClient]:
    """HTTP into the app. Any 500 during the test fails it: no request may get one."""
    with RecordingClient(app) as test_client:
        yield test_client
        assert test_client.server_errors == []


def _make_key(sessions: sessionmaker[Session], scope: KeyScope) -> str:
    with unit_of_work(sessions) as session:
        return create_key(session, name=f"test-{scope}", scope=scope).secret


@pytest.fixture
def editor_headers(sessions: sessionmaker[Session]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_make_key(sessions, KeyScope.WRITE)}"}


@pytest.fixture
def reader_headers(sessions: sessionmaker[Session]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_make_key(sessions, KeyScope.READ)}"}


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    pytest.skip("../shared/data is not beside this checkout")
