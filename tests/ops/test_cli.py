"""The `dopys` CLI: demo content, keys, migrations, run as an operator would."""

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import RecordingClient


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
    # The seed page's sidebar order, newest first, English posts left in English.
    assert [(item["lang"], item["title"].split()[0]) for item in feed] == [
        ("uk", "Окупанти"),
        ("en", "Czech"),
        ("en", "Democrats"),
        ("uk", "рф"),
        ("uk", "У"),
        ("uk", "В"),
        ("en", "North"),
    ]
    assert (
        feed[0]["title"]
        == "Окупанти планують вивезти із заповідника “Асканія-Нова” ще одну партію тварин"
    )
    assert {item["primary_tag"]["name"] for item in feed} == {"Новини"}
    article = client.get(
        "/v1/articles/north-korea-to-send-engineering-troops-to-russian-occupied-ukraine-isw"
    ).json()
    chain = [(c["source"]["slug"], c["via"]) for c in article["citations"]]
    assert chain == [("isw", None), ("tv-chosun", 0), ("south-korean-government", 1)]


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
