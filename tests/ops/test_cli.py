"""The `dopys` CLI: demo content, keys, migrations, run as an operator would."""

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import RecordingClient
from tests.processes import DOPYS, ROOT, cli_env


@pytest.fixture
def runner(database_url: str, db: object, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield CliRunner()  # type: ignore[misc]
    get_settings.cache_clear()


def test_demo_load_serves_the_seed_page(runner: CliRunner, client: RecordingClient) -> None:
    first = runner.invoke(cli, ["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "7 articles created" in first.output
    again = runner.invoke(cli, ["demo", "load"])
    assert "0 articles created, 7 already there" in again.output

    feed = client.get("/v1/articles", params={"lang": "uk"}).json()["data"]
    # The seed page's sidebar order, newest first, English posts left in English (the
    # page's own article has a Ukrainian version).
    assert [(item["lang"], item["title"].split()[0]) for item in feed] == [
        ("uk", "Окупанти"),
        ("en", "Czech"),
        ("en", "Democrats"),
        ("uk", "рф"),
        ("uk", "У"),
        ("uk", "В"),
        ("uk", "КНДР"),
    ]
    assert (
        feed[0]["title"]
        == "Окупанти планують вивезти із заповідника “Асканія-Нова” ще одну партію тварин"
    )
    # Each item's section named in the item's language (issue 20).
    names = {(item["lang"], item["primary_tag"]["name"]) for item in feed}
    assert names == {("uk", "Новини"), ("en", "News")}
    article = client.get(
        "/v1/articles/north-korea-to-send-engineering-troops-to-russian-occupied-ukraine-isw"
    ).json()
    chain = [(c["source"]["slug"], c["via"]) for c in article["citations"]]
    assert chain == [("isw", None), ("tv-chosun", 0), ("south-korean-government", 1)]
    # English (the slug's translation) throughout, names included (issue 20).
    assert (article["lang"], article["primary_tag"]["name"]) == ("en", "News")
    assert article["sources"][0]["name"] == "Institute for the Study of War"
    assert article["authors"][0]["name"] == "Dopys newsroom"
    cover = {
        "url": "https://images.example.org/dopys-demo/putin-kim-pyongyang-2024-06-19.jpg",
        "width": 1200,
        "height": 675,
        "caption": None,
        "credit": None,
    }
    assert article["cover_image"] == {
        **cover,
        "alt": "Vladimir Putin and Kim Jong Un in Pyongyang on June 19, 2024",
    }
    assert feed[-1]["cover_image"] == {
        **cover,
        "alt": "Володимир Путін і Кім Чен Ин у Пхеньяні 19 червня 2024 року",
    }


def test_keys_create_list_revoke(runner: RecordingClient, client: RecordingClient) -> None:
    created = runner.invoke(cli, ["keys", "create", "--name", "wire-bot", "--scope", "write"])  # type: ignore[attr-defined]
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("dps_")
    headers = {"Authorization": f"Bearer {secret}"}
    tag = {"slug": "news", "names": {"uk": "Новини"}}
    assert client.post("/v1/editor/tags", json=tag, headers=headers).status_code == 201

    listing = runner.invoke(cli, ["keys", "list"])  # type: ignore[attr-defined]
    assert "wire-bot" in listing.output
    assert secret not in listing.output
    assert secret[:10] in listing.output

    revoked = runner.invoke(cli, ["keys", "revoke", "1"])  # type: ignore[attr-defined]
    assert revoked.exit_code == 0, revoked.output
    assert (
        client.post("/v1/editor/tags", json={**tag, "slug": "other"}, headers=headers).status_code
        == 401
    )
    assert runner.invoke(cli, ["keys", "revoke", "99"]).exit_code != 0  # type: ignore[attr-defined]


UNUSABLE_DATABASES = [
    (
        "sqlite:///{tmp}/no-such-dir/dopys.sqlite3",
        "dopys: Cannot open the SQLite database sqlite:///{tmp}/no-such-dir/dopys.sqlite3 "
        "(unable to open database file). Check that its directory exists and is writable, "
        "and that the path in DATABASE_URL is right.",
    ),
    (
        "postgresql+psycopg://editor:s3cret@127.0.0.1:1/news",
        "dopys: Cannot connect to the database postgresql+psycopg://editor:***@127.0.0.1:1/news "
        '(connection failed: connection to server at "127.0.0.1", port 1 failed: Connection '
        "refused Is the server running on that host and accepting TCP/IP connections?). Check "
        "that the server is running and reachable from here, and the host, port, database "
        "name, user and password in DATABASE_URL.",
    ),
    (
        "editor:s3cret@db/news",
        "dopys: DATABASE_URL is not a database URL: 'editor:***@db/news'. Check "
        "its form, e.g. sqlite:///dopys.sqlite3 or postgresql+psycopg://user:password@host/dbname.",
    ),
    (
        "oracle+nope://editor:s3cret@db/news",
        "dopys: No database driver for oracle+nope://editor:***@db/news. Check the scheme of "
        "DATABASE_URL: sqlite:/// or postgresql+psycopg://.",
    ),
]
# Commands that create a missing database, then those that refuse to.
CREATING_COMMANDS = [["db", "upgrade"], ["demo", "load"], ["serve", "--port", "1"]]
EVERY_COMMAND = [
    *CREATING_COMMANDS,
    ["db", "downgrade", "base"],
    ["keys", "create", "--name", "bot"],
    ["keys", "list"],
    ["keys", "revoke", "1"],
    ["webhooks", "list"],
    ["webhooks", "remove", "1"],
    ["search", "reindex"],
    ["export"],
    ["import", "-"],
    ["serve", "--no-migrate", "--port", "1"],
]
NO_SUCH_FILE = (
    "dopys: No Dopys database at sqlite:///{tmp}/no-such-dir/dopys.sqlite3 (no such file). Set "
    "DATABASE_URL to the database your server uses, or create this one with `dopys db upgrade`."
)


@pytest.mark.parametrize(("url", "message"), UNUSABLE_DATABASES)
def test_every_command_reports_an_unusable_database_in_one_line_exit_2(
    url: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import get_settings

    url, message = url.format(tmp=tmp_path), message.format(tmp=tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        for command in EVERY_COMMAND:
            result = CliRunner().invoke(cli, command, input="")
            assert result.exit_code == 2, (command, result.output)
            expected = message
            if "no-such-dir" in url and command not in CREATING_COMMANDS:
                expected = NO_SUCH_FILE.format(tmp=tmp_path)
            assert result.stderr == expected + "\n", command
            assert "s3cret" not in result.output
    finally:
        get_settings.cache_clear()


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    url = "postgresql+psycopg://editor:s3cret@127.0.0.1:1/news"
    result = subprocess.run(
        [DOPYS, "keys", "list"],
        capture_output=True, text=True, env=cli_env(url), cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("dopys: Cannot connect to the database ")
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_search_reindex_recomputes_every_translations_lemmas(
    runner: CliRunner, client: RecordingClient, editor_headers: dict[str, str], database_url: str
) -> None:
    from sqlalchemy import create_engine, text

    from tests.factories import make_article

    article = make_article(client, editor_headers, title="Гривня", body="<p>Курс гривні.</p>")
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:  # as an older analyser might have left them
            conn.execute(
                text(
                    "UPDATE article_translations "
                    "SET lemmas_title = '', lemmas_excerpt = '', lemmas_body = ''"
                )
            )
        assert client.get("/v1/search", params={"q": "гривень"}).json()["data"] == []

        result = runner.invoke(cli, ["search", "reindex"])

        assert result.exit_code == 0, result.output
        assert "Re-indexed 1 translations." in result.output
        hits = client.get("/v1/search", params={"q": "гривень"}).json()["data"]
        assert [hit["id"] for hit in hits] == [article["id"]]
    finally:
        engine.dispose()


def test_db_upgrade_renders_articles_that_have_no_stored_rendering(
    runner: CliRunner, client: RecordingClient, editor_headers: dict[str, str], database_url: str
) -> None:
    """Articles written before stored renderings existed (here: their rows deleted) are
    rendered by `dopys db upgrade`, and the public JSON stays the same."""
    from sqlalchemy import create_engine, text

    from tests.factories import make_article

    make_article(client, editor_headers, title="Гривня", body="<p>Курс гривні.</p>")
    make_article(client, editor_headers, lang="en", title="Hryvnia", status="draft")
    before = client.get("/v1/articles", params={"lang": "en"}).content
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM article_renderings"))

        result = runner.invoke(cli, ["db", "upgrade"])

        assert result.exit_code == 0, result.output
        assert "Rendered 1 articles for the public endpoints." in result.output  # not the draft
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT reader_lang FROM article_renderings")).scalars()
            assert sorted(rows) == ["en", "uk"]
        assert client.get("/v1/articles", params={"lang": "en", "_": "1"}).content == before
        again = runner.invoke(cli, ["db", "upgrade"])
        assert "Rendered" not in again.output
    finally:
        engine.dispose()
