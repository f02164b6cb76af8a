"""Processes that start together on a new database, and which database a command uses:
real `dopys` processes, as an orchestrator or an operator runs them."""

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from app.cli import cli
from tests.conftest import RecordingClient, _create_postgres_database, _drop_postgres_database
from tests.factories import make_article
from tests.imports.helpers import article_line, ndjson
from tests.processes import DOPYS, ROOT, _wait_until_up, cli_env, free_port


@pytest.fixture
def new_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of the session's backend that nothing has touched: a SQLite path with no
    file yet, or an empty PostgreSQL database."""
    if make_url(database_url).get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.sqlite3'}"
        return
    url = _create_postgres_database()
    yield url
    _drop_postgres_database(url)


def _dopys(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [DOPYS, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def test_three_servers_started_at_once_on_a_new_database_all_serve(
    new_database_url: str, tmp_path: Path
) -> None:
    """As three replicas of the image start (DOPYS_DEMO=true): one migrates, two wait for
    it; the demo is loaded once; all three serve it."""
    logs = [tmp_path / f"serve-{n}.log" for n in range(3)]
    ports = [free_port() for _ in logs]
    servers = []
    for log, port in zip(logs, ports, strict=True):
        with log.open("wb") as out:
            servers.append(
                subprocess.Popen(
                    [DOPYS, "serve", "--port", str(port)],
                    env={**cli_env(new_database_url), "DOPYS_DEMO": "true"},
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
    try:
        for server, log, port in zip(servers, logs, ports, strict=True):
            url = f"http://127.0.0.1:{port}"
            assert _wait_until_up(url, server, log, timeout=120)  # three start on shared cores
            feed = httpx2.get(f"{url}/v1/articles", params={"limit": 20}, timeout=10)
            assert feed.status_code == 200
            assert len(feed.json()["data"]) == 7, log.read_text()  # the demo, once
            assert "Cannot connect" not in log.read_text()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)


def test_db_upgrade_twice_at_once_on_a_new_database(
    new_database_url: str, invoke: Callable[..., Result]
) -> None:
    env = cli_env(new_database_url)
    upgrades = [_dopys("db", "upgrade", env=env) for _ in range(2)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in upgrades]
    for status, stdout, stderr in results:
        assert status == 0, stderr
        assert "Database at head." in stdout
        assert "Cannot connect" not in stderr and "duplicate key" not in stderr
    assert invoke(new_database_url, "keys", "list").exit_code == 0


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """Runs a command in this process with DATABASE_URL (or, None: no DATABASE_URL)."""
    from app.core.config import get_settings

    def run(database_url: str | None, *args: str) -> Result:
        if database_url is None:
            monkeypatch.delenv("DATABASE_URL", raising=False)
        else:
            monkeypatch.setenv("DATABASE_URL", database_url)
        get_settings.cache_clear()
        return CliRunner().invoke(cli, list(args), input="")

    yield run
    get_settings.cache_clear()


def test_a_command_refuses_a_database_that_does_not_exist_and_creates_none(
    new_database_url: str, invoke: Callable[..., Result]
) -> None:
    for command in (["keys", "create", "--name", "bot"], ["import", "-"], ["export"]):
        refused = invoke(new_database_url, *command)
        assert refused.exit_code == 2, refused.output
        assert refused.stdout == ""
        [line] = refused.stderr.splitlines()
        assert line.startswith("dopys: No Dopys database at ")
        assert "Set DATABASE_URL to the database your server uses" in line
    path = make_url(new_database_url).database
    if make_url(new_database_url).get_backend_name() == "sqlite":
        assert path is not None and not Path(path).exists()
    else:
        engine = create_engine(new_database_url)
        assert inspect(engine).get_table_names() == []
        engine.dispose()

    assert invoke(new_database_url, "db", "upgrade").exit_code == 0  # creates it
    assert invoke(new_database_url, "keys", "create", "--name", "bot").exit_code == 0


def test_the_default_database_is_one_file_whatever_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke: Callable[..., Result]
) -> None:
    """The reproduction: `dopys import` from another directory made a second database
    there and imported into it. Now the default is one file in the user's data directory;
    a command that needs it refuses while it does not exist, and all share it after."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = tmp_path / "data" / "dopys" / "dopys.sqlite3"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "one.ndjson").write_bytes(ndjson([article_line(1)]))
    monkeypatch.chdir(elsewhere)

    refused = invoke(None, "import", "one.ndjson")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"dopys: No Dopys database at sqlite:///{default} (no such file). Set DATABASE_URL to "
        "the database your server uses, or create this one with `dopys db upgrade`."
    ]
    assert list(elsewhere.iterdir()) == [elsewhere / "one.ndjson"]
    assert not default.parent.exists()

    monkeypatch.chdir(tmp_path)
    created = invoke(None, "db", "upgrade")
    assert created.exit_code == 0, created.output
    assert f"Database: sqlite:///{default}" in created.stderr.splitlines()
    monkeypatch.chdir(elsewhere)
    imported = invoke(None, "import", "one.ndjson")
    assert imported.exit_code == 0, imported.output
    assert f"Database: sqlite:///{default}" in imported.stderr.splitlines()
    assert list(elsewhere.iterdir()) == [elsewhere / "one.ndjson"]


def test_every_command_says_which_database_it_used(
    database_url: str, db: object, invoke: Callable[..., Result]
) -> None:
    shown = make_url(database_url).render_as_string(hide_password=True)
    for command in (
        ["db", "upgrade"],
        ["demo", "load"],
        ["keys", "list"],
        ["export"],
        ["webhooks", "list"],
        ["search", "reindex"],
    ):
        result = invoke(database_url, *command)
        assert result.exit_code == 0, (command, result.output)
        assert result.stderr.splitlines()[0] == f"Database: {shown}", command


@pytest.mark.parametrize(
    ("command", "status", "message"),
    [
        (["keys", "revoke", "99"], 1, "dopys: No API key with id 99."),
        (["db", "upgrade", "nosuch"], 2, "dopys: Can't locate revision identified by 'nosuch'"),
        (["db", "downgrade", "nosuch"], 2, "dopys: Can't locate revision identified by 'nosuch'"),
    ],
)
def test_bad_input_is_one_line_and_no_traceback(
    database_url: str,
    db: object,
    invoke: Callable[..., Result],
    command: list[str],
    status: int,
    message: str,
) -> None:
    result = invoke(database_url, *command)
    assert result.exit_code == status
    assert isinstance(result.exception, SystemExit)  # not an exception that escaped
    assert result.stderr.splitlines()[1:] == [message]


def test_a_key_needs_a_name(database_url: str, db: object, invoke: Callable[..., Result]) -> None:
    result = invoke(database_url, "keys", "create", "--name", " ")
    assert result.exit_code == 2
    assert "say who or what uses the key" in result.stderr


def test_serve_listens_and_renders_stale_articles_in_the_background(
    database_url: str, client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    """After an upgrade that leaves articles without a stored rendering, `serve` renders
    them beside the server instead of before listening. It listens where PORT says."""
    make_article(client, editor_headers, title="Гривня", body="<p>Курс гривні.</p>")
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM article_renderings"))
        port = free_port()
        log = tmp_path / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # PORT and HOST: as scripts/serve and the image say
                [DOPYS, "serve"],
                env={**cli_env(database_url), "PORT": str(port), "HOST": "127.0.0.1"},
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            assert _wait_until_up(f"http://127.0.0.1:{port}", server, log)
            deadline = time.monotonic() + 20  # the render commits soon after the start
            while not (rendered := _count(engine, "article_renderings")):
                if time.monotonic() > deadline or server.poll() is not None:
                    break
                time.sleep(0.05)
            assert rendered, log.read_text()
        finally:
            server.terminate()
            server.wait(timeout=10)
    finally:
        engine.dispose()
