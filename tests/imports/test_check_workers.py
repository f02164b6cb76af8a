"""A large import checks its lines on a worker process (app.imports.workers) while the
server writes: the report is the one a line-by-line check gives (errors on the right lines,
in order), search finds what was imported as soon as the import answers, and no process
outlives the import."""

import os
from pathlib import Path

import orjson

from app.imports.service import check_lines
from app.imports.workers import CheckPool
from tests.conftest import RecordingClient
from tests.imports.helpers import article_line, counts, ndjson, ntrex_lines, post_import

LINES = 1600  # four batches: the worker starts at the second and checks the later ones


def _children() -> set[int]:
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found |= {int(pid) for pid in (task / "children").read_text().split()}
    return found


def test_a_large_import_reports_and_indexes_exactly_as_checked_line_by_line(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    before = _children()
    lines: list[dict[str, object] | str] = [article_line(n) for n in range(1, LINES + 1)]
    lines[1099] = article_line(1100, translations=[{"lang": "uk", "body": "<p>Без назви.</p>"}])
    lines[1299] = "{not json"
    lines[1499] = article_line(1500, status="gone")
    unsafe = '<p>Зоряний <script>alert(1)</script>мандрівник <b onclick="x()">тут</b>.</p>'
    lines[1549] = article_line(
        1550, translations=[{"lang": "uk", "title": "Зоряний мандрівник", "body": unsafe}]
    )

    report = post_import(client, editor_headers, ndjson(lines))

    assert counts(report) == (LINES - 3, 0, 0, 3)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (1100, "translations[0].title"),
        (1300, None),
        (1500, "status"),
    ]
    assert _children() <= before

    found = client.get("/v1/search", params={"q": "мандрівники", "lang": "uk"}).json()["data"]
    assert [item["title"] for item in found] == ["Зоряний мандрівник"]
    article = client.get(f"/v1/articles/{found[0]['slug']}", params={"lang": "uk"}).json()
    assert article["body"] == "<p>Зоряний мандрівник <b>тут</b>.</p>"
    last = client.get("/v1/search", params={"q": "номер 1600", "lang": "uk"}).json()["data"]
    assert [item["title"] for item in last] == ["Новина номер 1600"]
    assert os.getpid() not in _children()


def test_a_worker_checks_lines_exactly_as_this_process_does(shared_data_dir: Path) -> None:
    before = _children()
    lines = [(n, orjson.dumps(line)) for n, line in enumerate(ntrex_lines(shared_data_dir, 300), 1)]
    lines[7] = (8, orjson.dumps(article_line(8, original_lang="de")))
    lines[9] = (10, b'{"external_id": "x", "translations": []}')
    pool = CheckPool()
    try:
        assert pool.start(wait=60)
        assert _children() - before
        assert pool(lines, ["en", "uk"]) == check_lines(lines, ["en", "uk"])
    finally:
        pool.close()
    assert _children() <= before
