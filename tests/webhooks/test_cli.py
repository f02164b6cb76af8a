"""`dopys webhooks add|list|test|remove`, as an operator runs them."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli import cli
from tests.webhooks.receiver import Receiver


@pytest.fixture
def runner(database_url: str, db: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    from app.core.config import get_settings

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    get_settings.cache_clear()
    import app.cli

    monkeypatch.setattr(app.cli.console, "width", 250)  # whole table rows
    yield CliRunner()
    get_settings.cache_clear()


def test_add_list_test_remove(runner: CliRunner, receiver: Receiver) -> None:
    added = runner.invoke(
        cli,
        ["webhooks", "add", receiver.url, "--event", "article.published", "--language", "en"],
    )
    assert added.exit_code == 0, added.output
    secret = added.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    database, said, *_ = added.output.splitlines()
    assert database.startswith("Database: ")  # every command names the database it used
    assert said.startswith(f"Webhook 1 -> {receiver.url}.")

    listed = runner.invoke(cli, ["webhooks", "list"])
    assert listed.exit_code == 0, listed.output
    assert receiver.url in listed.output
    assert "languages=en" in listed.output
    assert secret not in listed.output

    tested = runner.invoke(cli, ["webhooks", "test", "1"])
    assert tested.exit_code == 0, tested.output
    [ping] = receiver.accepted()
    assert ping.verified(secret) == {
        "type": "webhook.ping",
        "timestamp": ping.verified(secret)["timestamp"],
        "data": {"webhook_id": 1},
    }
    assert f"Ping {ping.id}: 200 in " in tested.output

    receiver.statuses = [500]
    failed = runner.invoke(cli, ["webhooks", "test", "1"])
    assert failed.exit_code == 1, failed.output
    assert "failed: The receiver answered 500." in failed.output

    assert runner.invoke(cli, ["webhooks", "remove", "1"]).exit_code == 0
    missing = runner.invoke(cli, ["webhooks", "remove", "1"])
    assert missing.exit_code == 2
    assert "No webhook with id 1." in missing.output


def test_add_refuses_bad_targets(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.config import get_settings

    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "false")
    get_settings.cache_clear()
    refused = runner.invoke(cli, ["webhooks", "add", "http://127.0.0.1:9/hook"])
    assert refused.exit_code == 2
    said = " ".join(refused.output.replace("│", " ").split())  # out of typer's error box
    assert "a loopback, private or reserved address" in said
    wrong = runner.invoke(cli, ["webhooks", "add", "https://1.1.1.1/", "--event", "article.liked"])
    assert wrong.exit_code == 2
