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
    assert "│ 5       │ 0       │ 0         │ 0      │" in imported.stdout
    out = tmp_path / "export.ndjson"
    exported = run_cli(database_url, "export", str(out), "--url", live_server, "--key", key)
    assert exported.returncode == 0, exported.stderr
    assert "Exported 5 articles." in exported.stderr
    assert out.read_text() == client.get("/v1/exports", headers=editor_headers).text
    local = run_cli(database_url, "export")
    assert local.stdout == out.read_text()
    lines = [json.loads(x) for x in local.stdout.splitlines()]
    assert (lines[0], lines[-1]) == (EXPORT_HEADER, {"export": {"count": 5, "complete": True}})
    assert [line["status"] for line in lines[1:-1]].count("draft") == 1

    refused = run_cli(
        database_url, "import", wxr, "--format", "wxr", "--url", live_server, "--key", "dps_wrong"
    )
    assert refused.returncode == 2
    assert "The server answered 401" in refused.stderr


def test_a_wordpress_import_prints_what_became_of_every_kind_of_item(
    client: RecordingClient, database_url: str
) -> None:
    result = run_cli(
        database_url, "import", str(FIXTURES / "wordpress-https.xml"), "--format", "wxr"
    )

    assert result.returncode == 0, result.stderr
    assert "│ 13      │ 0       │ 0         │ 0      │" in result.stdout
    assert re.search(r"│ page +│ 1 +│ 0 +│ 0 +│ 0 +│ 0 +│", result.stdout)
    assert re.search(r"│ post +│ 12 +│ 0 +│ 0 +│ 2 +│ 0 +│", result.stdout)
    assert re.search(r"│ attachment +│ 0 +│ 0 +│ 0 +│ 2 +│ 0 +│", result.stdout)
    assert re.search(r"│ nav_menu_item +│ 0 +│ 0 +│ 0 +│ 1 +│ 0 +│", result.stdout)
    assert re.search(r"│ attachment +│ 2 +│ 2 \(line 74\),", result.stdout)  # skipped
    assert re.search(r"│ post +│ 1 +│ 5 \(line 190\) +│ Password-protected", result.stdout)
    # 12 posts less two drafts and a scheduled one (the restricted two are listed)
    assert len(walk_feed(client, limit=50, lang="en")) == 9


def test_a_file_with_items_and_nothing_imported_exits_1(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    text = (FIXTURES / "wordpress-https.xml").read_text()
    menu = text[: text.index("\t<item>\n\t\t<title><![CDATA[tram.jpg")] + "</channel></rss>"
    only_menus = tmp_path / "menus.xml"
    only_menus.write_text(menu.replace("[CDATA[page]]", "[CDATA[nav_menu_item]]"))

    result = run_cli(database_url, "import", str(only_menus), "--format", "wxr")

    assert result.returncode == 1, result.stderr
    assert "the file has 1 items and none of them is an article" in " ".join(result.stderr.split())


def test_a_file_cut_off_part_way_exits_2_saying_what_was_written(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    text = (FIXTURES / "wordpress-https.xml").read_text()
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.index("Archive: every street renamed")])

    result = run_cli(database_url, "import", str(cut), "--format", "wxr")

    assert result.returncode == 2, result.stderr
    stderr = " ".join(result.stderr.split())
    assert "Import stopped: Not a well-formed WXR file: unclosed CDATA section" in stderr
    assert "9 articles were written (9 created, 0 updated; 0 unchanged)" in stderr
    assert "Re-running the complete file finishes the import" in stderr
    assert "│ 9       │ 0       │ 0         │ 0      │" in result.stdout
    rerun = run_cli(
        database_url, "import", str(FIXTURES / "wordpress-https.xml"), "--format", "wxr"
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "│ 4       │ 0       │ 9         │ 0      │" in rerun.stdout


def test_import_progress_shows_total_percentage_rate_and_eta_for_a_file(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "wire.ndjson"
    path.write_bytes(ndjson([article_line(n) for n in range(5)]))
    size = path.stat().st_size

    from_file = run_cli(database_url, "import", str(path))

    assert from_file.returncode == 0, from_file.stderr
    database, *progress = from_file.stderr.splitlines()
    assert database.startswith("Database: sqlite:///") or database.startswith(
        "Database: postgresql"
    )
    assert progress[0] == f"Importing {path}"
    # bytes read of the file's size, the percentage, the rate, lines, errors, time left
    assert re.fullmatch(
        rf"━+ 100% {size / 1000:.1f}/{size / 1000:.1f} kB [\d.]+ [kM]?B/s 5 lines [\d,]+ "
        r"lines/s 0 errors ETA 0?0:00",
        progress[1].strip(),
    ), progress

    piped = run_cli(database_url, "import", "-", stdin=path.read_bytes())

    assert piped.returncode == 0, piped.stderr
    line = piped.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r". Importing - 5 lines [\d,]+ lines/s 0 errors \d:\d\d:\d\d", line), line
