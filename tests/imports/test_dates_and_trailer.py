"""Issue 16, finding 5 (an out-of-range date in one import line was a 500 that lost its
batch; dry_run counted it as created; the CLI died with a traceback) and finding 10 (a
truncated export looked complete)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from tests.conftest import RecordingClient
from tests.factories import walk_feed
from tests.imports.conftest import run_cli
from tests.imports.helpers import article_line, counts, ndjson, post_import

OUT_OF_RANGE = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
RANGE_ERROR = "Value error, Date out of range once converted to UTC."
HEADER = {"export": {"format": "dopys-articles", "version": 1}}


def _bad_dates() -> list[dict[str, object]]:
    """Good lines 0, 2, 4 around lines with each date in each date field."""
    lines: list[dict[str, object]] = [article_line(0)]
    n = 1
    for date in OUT_OF_RANGE:
        lines.append(article_line(n, published_at=date))
        lines.append(article_line(n + 1, updated_at=date))
        translated = article_line(n + 2)
        translated["translations"][0]["updated_at"] = date  # type: ignore[index]
        lines.append(translated)
        n += 3
    lines.append(article_line(n))
    return lines


EXPECTED_ERRORS = [
    {"line": line, "field": field, "message": RANGE_ERROR}
    for line, field in [
        (2, "published_at"),
        (3, "updated_at"),
        (4, "translations[0].updated_at"),
        (5, "published_at"),
        (6, "updated_at"),
        (7, "translations[0].updated_at"),
    ]
]


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_an_out_of_range_date_is_its_lines_error_and_the_batch_is_kept(
    client: RecordingClient, editor_headers: dict[str, str], dry_run: str
) -> None:
    report = post_import(client, editor_headers, ndjson(_bad_dates()), dry_run=dry_run)

    assert counts(report) == (2, 0, 0, 6)
    assert report["errors"] == EXPECTED_ERRORS
    assert len(walk_feed(client, limit=10)) == (0 if dry_run == "true" else 2)


def test_the_editor_and_the_import_refuse_the_same_dates_alike(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    for date in OUT_OF_RANGE:
        response = client.post(
            "/v1/editor/articles",
            json={
                "original_lang": "uk",
                "published_at": date,
                "translations": [{"lang": "uk", "title": "Дата"}],
            },
            headers=editor_headers,
        )
        assert response.status_code == 422
        assert response.json()["errors"] == [{"field": "published_at", "message": RANGE_ERROR}]


def test_the_cli_reports_a_bad_date_as_a_failed_line_without_a_traceback(
    client: RecordingClient, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "dates.ndjson"
    path.write_bytes(ndjson(_bad_dates()))

    result = run_cli(database_url, "import", str(path))

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "│ 2       │ 0       │ 0         │ 6      │" in result.stdout
    assert "Date out of range once converted to UTC." in result.stdout


# ---- finding 10: exports end with a trailer; a stream without it is truncated ----------


def _export(client: RecordingClient, headers: dict[str, str], n: int) -> bytes:
    post_import(client, headers, ndjson(article_line(i) for i in range(n)))
    response = client.get("/v1/exports", headers=headers)
    assert response.status_code == 200
    return response.content


def test_an_export_ends_with_a_trailer_that_counts_its_articles(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    lines = [json.loads(line) for line in _export(client, editor_headers, 3).splitlines()]

    assert lines[0] == HEADER
    assert lines[-1] == {"export": {"count": 3, "complete": True}}
    assert sorted(line["external_id"] for line in lines[1:-1]) == ["wire-0", "wire-1", "wire-2"]
    empty = client.get("/v1/exports", headers=editor_headers)
    assert empty.status_code == 200


def test_importing_an_export_skips_its_header_and_trailer_and_flags_a_truncated_one(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    export = _export(client, editor_headers, 3)
    header, *articles, trailer = export.splitlines()

    whole = post_import(client, editor_headers, export)  # what is stored: nothing changes
    assert (counts(whole), whole["truncated"], whole["errors"]) == ((0, 0, 3, 0), False, [])
    # Cut before the trailer (a lost connection), or inside the last line.
    cut = post_import(client, editor_headers, ndjson([header, *articles]))
    assert (counts(cut), cut["truncated"]) == ((0, 0, 3, 0), True)
    torn = post_import(client, editor_headers, export[: len(export) - len(trailer) - 30])
    assert (torn["unchanged"], torn["failed"], torn["truncated"]) == (2, 1, True)
    # A trailer that counts other lines than it follows.
    wrong = orjson.dumps({"export": {"count": 4, "complete": True}})
    miscounted = post_import(client, editor_headers, ndjson([header, *articles, wrong]))
    assert (counts(miscounted), miscounted["truncated"]) == ((0, 0, 3, 0), True)
    # Plain NDJSON, made by hand or by a converter, has neither line and is not an export.
    plain = post_import(client, editor_headers, ndjson(articles))
    assert (counts(plain), plain["truncated"]) == ((0, 0, 3, 0), False)


def test_the_cli_imports_what_a_truncated_export_holds_and_exits_1(
    client: RecordingClient, editor_headers: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    export = _export(client, editor_headers, 3)
    header, *articles, _ = export.splitlines()
    whole, cut = tmp_path / "whole.ndjson", tmp_path / "cut.ndjson"
    whole.write_bytes(export)
    cut.write_bytes(ndjson([header, *articles[:2]]))

    complete = run_cli(database_url, "import", str(whole))
    truncated = run_cli(database_url, "import", str(cut))

    assert complete.returncode == 0, complete.stderr
    assert "│ 0       │ 0       │ 3         │ 0      │" in complete.stdout  # as stored
    assert "Truncated" not in complete.stderr
    assert truncated.returncode == 1, truncated.stderr
    assert "│ 0       │ 0       │ 2         │ 0      │" in truncated.stdout
    assert "Truncated export" in truncated.stderr
    assert "The 2 article lines it holds were imported" in " ".join(truncated.stderr.split())
    assert "Traceback" not in truncated.stderr


class _CutExport(BaseHTTPRequestHandler):
    """A server whose export stops after the header and one article: a clean end of the
    body, no trailer (what a proxy that gave up would send)."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(ndjson([HEADER, article_line(1)]))

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_dopys_export_removes_the_file_of_a_stream_without_its_trailer(
    database_url: str, tmp_path: Path
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CutExport)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        out = tmp_path / "backup.ndjson"
        url = f"http://127.0.0.1:{server.server_port}"
        result = run_cli(database_url, "export", str(out), "--url", url, "--key", "dps_x")
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 2, result.stderr
    assert "The export was cut short: it ends before its trailer line." in result.stderr
    assert not out.exists()
