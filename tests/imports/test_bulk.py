"""A generated file of real bilingual news (the benchmark's 100,000-line run, scaled down to
keep the suite fast: bench/import_bench.py does the full size): via the API and the CLI,
re-runs report everything unchanged and the article count stays the same."""

from pathlib import Path

from tests.conftest import RecordingClient
from tests.factories import walk_feed
from tests.imports.conftest import run_cli
from tests.imports.helpers import counts, ndjson, ntrex_lines, post_import

LINES = 3000


def test_a_generated_file_imports_via_api_and_cli_and_reruns_change_nothing(
    client: RecordingClient,
    editor_headers: dict[str, str],
    database_url: str,
    shared_data_dir: Path,
    tmp_path: Path,
) -> None:
    body = ndjson(ntrex_lines(shared_data_dir, LINES))
    path = tmp_path / "ntrex.ndjson"
    path.write_bytes(body)

    assert counts(post_import(client, editor_headers, body)) == (LINES, 0, 0, 0)
    first = walk_feed(client, limit=100)
    assert len(first) == len(set(first)) == LINES

    assert counts(post_import(client, editor_headers, body)) == (0, 0, LINES, 0)
    cli = run_cli(database_url, "import", str(path))
    assert cli.returncode == 0, cli.stderr
    assert f"│ 0       │ 0       │ {LINES}      │ 0      │" in cli.stdout
    assert walk_feed(client, limit=100) == first

    article = client.get("/v1/articles", params={"lang": "uk", "limit": 1}).json()["data"][0]
    assert article["lang"] == "uk"
    assert [t["lang"] for t in article["translations"]] == ["en", "uk"]
