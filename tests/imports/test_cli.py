"""`dopys import` / `dopys export`: local database or a server, stdin, exit status."""

import json
import re
from pathlib import Path

from tests.conftest import RecordingClient
from tests.factories import walk_feed
from tests.imports.conftest import run_cli
from tests.imports.helpers import article_line, ndjson

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT_HEADER = {"export": {"format": "dopys-articles", "version": 1}}


def test_local_import_reports_a_summary_and_exits_1_when_a_line_failed(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    good = [article_line(n) for n in range(3)]
    path = tmp_path / "wire.ndjson"
    path.write_bytes(ndjson([*good, '{"external_id": "x", "status": "gone"}']))

    first = run_cli(database_url, "import", str(path))

    assert first.returncode == 1, first.stderr
    assert "│ 3       │ 0       │ 0         │ 1      │" in first.stdout
    assert re.search(
        r"│ 4 +│ status +│ Input should be 'draft', 'published' or 'archived'", first.stdout
    )
    assert re.search(r"│ 4 +│ translations +│ Required\.", first.stdout)
    assert "4 lines" in first.stderr  # the progress line
    assert len(walk_feed(client, limit=10)) == 3

    again = run_cli(database_url, "import", "-", stdin=ndjson(good))

    assert again.returncode == 0, again.stderr
    assert "│ 0       │ 0       │ 3         │ 0      │" in again.stdout


def test_dry_run_writes_nothing_and_a_missing_file_exits_2(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "wire.ndjson"
    path.write_bytes(ndjson([article_line(1)]))

    dry = run_cli(database_url, "import", "--dry-run", str(path))

    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing written" in dry.stdout
    assert "│ 1       │ 0       │ 0         │ 0      │" in dry.stdout
    assert walk_feed(client, limit=10) == []
    missing = run_cli(database_url, "import", str(tmp_path / "nope.ndjson"))
    assert missing.returncode == 2
    assert "Import failed" in missing.stderr


def test_remote_import_and_export_go_through_the_server(
    client: RecordingClient,
    editor_headers: dict[str, str],
    database_url: str,
    live_server: str,
    tmp_path: Path,
) -> None:
    key = editor_headers["Authorization"].removeprefix("Bearer ")
    wxr = str(FIXTURES / "wordpress-polylang.xml")

    imported = run_cli(
        database_url, "import", "--format", "wxr", wxr, "--url", live_server, "--key", key
    )

    assert imported.returncode == 0, imported.stderr
    assert "│ 4       │ 0       │ 0         │ 0      │" in imported.stdout
    out = tmp_path / "export.ndjson"
    exported = run_cli(database_url, "export", str(out), "--url", live_server, "--key", key)
    assert exported.returncode == 0, exported.stderr
    assert "Exported 4 articles." in exported.stderr
    assert out.read_text() == client.get("/v1/exports", headers=editor_headers).text
    local = run_cli(database_url, "export")
    assert local.stdout == out.read_text()
    lines = [json.loads(x) for x in local.stdout.splitlines()]
    assert (lines[0], lines[-1]) == (EXPORT_HEADER, {"export": {"count": 4, "complete": True}})
    assert [line["status"] for line in lines[1:-1]].count("draft") == 1

    refused = run_cli(
        database_url, "import", wxr, "--format", "wxr", "--url", live_server, "--key", "dps_wrong"
    )
    assert refused.returncode == 2
    assert "The server answered 401" in refused.stderr


def test_import_progress_shows_total_percentage_rate_and_eta_for_a_file(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "wire.ndjson"
    path.write_bytes(ndjson([article_line(n) for n in range(5)]))
    size = path.stat().st_size

    from_file = run_cli(database_url, "import", str(path))

    assert from_file.returncode == 0, from_file.stderr
    progress = from_file.stderr.splitlines()
    assert progress[0] == f"Importing {path}"
    # bytes read of the file's size, the percentage, the rate, lines, errors, time left
    assert re.fullmatch(
        rf"━+ 100% {size / 1000:.1f}/{size / 1000:.1f} kB [\d.]+ [kM]?B/s 5 lines [\d,]+ "
        r"lines/s 0 errors ETA 0?0:00",
        progress[1].strip(),
    ), progress

    piped = run_cli(database_url, "import", "-", stdin=path.read_bytes())

    assert piped.returncode == 0, piped.stderr
    line = piped.stderr.strip()
    assert re.fullmatch(r". Importing - 5 lines [\d,]+ lines/s 0 errors \d:\d\d:\d\d", line), line
