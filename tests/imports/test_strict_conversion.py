"""Converted imports are as strict as NDJSON: a value of the wrong type or a date out of
range fails its item (reported with its place in the file) and the rest of the batch is
stored; a DTD or entity declaration is a 422 naming the reason; ids are ASCII digits; a
gzip body is decoded, within the import limit."""

import copy
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.imports.conftest import run_cli
from tests.imports.helpers import NDJSON, article_line, exported_articles, ndjson

FIXTURES = Path(__file__).parent / "fixtures"
GHOST = json.loads((FIXTURES / "ghost-export.json").read_text())
JSON_FEED = json.loads((FIXTURES / "feed.json").read_text())
OUT_OF_RANGE = "Value error, Date out of range once converted to UTC."  # the NDJSON wording


def _post(client: TestClient, headers: dict[str, str], body: bytes, fmt: str, **extra: str) -> Any:
    return client.post(
        "/v1/imports",
        content=body,
        headers={**headers, "Content-Type": "application/octet-stream", **extra},
        params={"format": fmt} if fmt != "ndjson" else {},
    )


def _report(client: TestClient, headers: dict[str, str], body: bytes, fmt: str) -> Any:
    response = _post(client, headers, body, fmt)
    assert response.status_code == 200, response.text
    return response.json()


def _stored(client: TestClient, headers: dict[str, str]) -> set[str]:
    text = client.get("/v1/exports", headers=headers).text
    return {line["external_id"] for line in exported_articles(text)}


def _errors(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(e["kind"], e["item"], e["field"], e["message"]) for e in report["errors"]]


def _ghost(change: Any) -> bytes:
    document = copy.deepcopy(GHOST)
    change(document["db"][0]["data"])
    return json.dumps(document).encode()


def _feed(change: Any) -> bytes:
    document = copy.deepcopy(JSON_FEED)
    change(document)
    return json.dumps(document).encode()


def _set(path: str, value: Any) -> Any:
    """A change that sets `posts.0.title` (a dotted path of keys and indexes) to `value`."""

    def change(node: Any) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        for part in parents:
            node = node[part]
        node[last] = value

    return change


GHOST_IDS = {f"ghost:{post['uuid']}" for post in GHOST["db"][0]["data"]["posts"]}
FIRST_GHOST = f"ghost:{GHOST['db'][0]['data']['posts'][0]['uuid']}"


# ---- dates out of range ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9999-12-31T23:59:59-14:00", OUT_OF_RANGE),
        ("0001-01-01T00:00:00+14:00", OUT_OF_RANGE),
        (10**17, f"{10**17} ms since 1970 is no date."),
    ],
)
def test_a_ghost_date_out_of_range_fails_its_post_and_the_others_are_stored(
    client: RecordingClient, editor_headers: dict[str, str], value: Any, message: str
) -> None:
    report = _report(client, editor_headers, _ghost(_set("posts.0.published_at", value)), "ghost")

    assert (report["created"], report["failed"]) == (2, 1)
    assert _errors(report) == [("post", 1, "published_at", message)]
    assert _stored(client, editor_headers) == GHOST_IDS - {FIRST_GHOST}


def test_a_json_feed_date_out_of_range_fails_its_item(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    body = _feed(_set("items.0.date_published", "0001-01-01T00:00:00+14:00"))

    report = _report(client, editor_headers, body, "jsonfeed")

    assert (report["created"], report["failed"]) == (1, 1)
    assert _errors(report) == [("item", 1, "published_at", OUT_OF_RANGE)]
    assert _stored(client, editor_headers) == {"brief-2024-05-06-uk"}


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("9999-12-31T23:59:59-14:00", "Date out of range: 10000-01-01 (UTC)."),
        ("10000-01-01T00:00:00Z", "Date out of range: 10000-01-01T00:00:00Z."),  # not 2010
    ],
)
def test_an_atom_date_in_the_year_10000_fails_its_entry(
    client: RecordingClient, editor_headers: dict[str, str], written: str, message: str
) -> None:
    atom = (FIXTURES / "newsroom.atom").read_text()
    atom = atom.replace("2024-07-01T06:45:00Z", written)

    report = _report(client, editor_headers, atom.encode(), "atom")

    assert (report["created"], report["failed"]) == (1, 1)
    assert _errors(report) == [("entry", 2, "published_at", message)]


def _wxr(items: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}<rss version="2.0" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel><language>uk</language>'
        f"<wp:base_site_url>https://wp.example</wp:base_site_url>{items}</channel></rss>"
    ).encode()


def _wxr_item(post_id: str, *, pub_date: str = "Mon, 01 Jan 2024 10:00:00 +0000") -> str:
    return (
        f"<item><title>Post {post_id}</title><pubDate>{pub_date}</pubDate>"
        f"<guid>https://wp.example/guid-{post_id}</guid><wp:post_id>{post_id}</wp:post_id>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
    )


def test_a_wxr_pub_date_out_of_range_fails_its_post(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    items = _wxr_item("1", pub_date="Fri, 31 Dec 9999 23:59:59 -1400") + _wxr_item("2")

    report = _report(client, editor_headers, _wxr(items), "wxr")

    assert (report["created"], report["failed"]) == (1, 1)
    assert _errors(report) == [("post", 1, "published_at", OUT_OF_RANGE)]
    assert report["errors"][0]["source_line"] == 1
    assert _stored(client, editor_headers) == {"https://wp.example/?p=2"}


def test_the_cli_reports_a_date_out_of_range_and_a_wrong_type_and_stores_the_rest(
    client: RecordingClient, editor_headers: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    def change(data: dict[str, Any]) -> None:
        data["posts"][0]["published_at"] = "9999-12-31T23:59:59-14:00"
        data["posts"][1]["title"] = 5

    path = tmp_path / "ghost.json"
    path.write_bytes(_ghost(change))

    result = run_cli(database_url, "import", "--format", "ghost", str(path))

    assert result.returncode == 1, result.stderr  # items failed: not 2, no traceback
    assert "Traceback" not in result.stderr + result.stdout
    assert "out of range" in result.stdout
    assert "Input should be a valid string" in result.stdout
    assert _stored(client, editor_headers) == {
        f"ghost:{GHOST['db'][0]['data']['posts'][2]['uuid']}"
    }


# ---- wrong JSON types ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("posts.0.title", 5), ("post", 1, "title", "Input should be a valid string")),
        (_set("posts.0.status", [1]), ("post", 1, "status", "Input should be a valid string")),
        (_set("posts.2.page", {}), ("page", 3, "page", "Value error, Must be true, false")),
        (_set("posts.0", "x"), ("post", 1, None, "Must be a JSON object, not text.")),
        (_set("tags.0", "x"), ("tag", 1, None, "Must be a JSON object, not text.")),
        (_set("posts_tags.0.tag_id", [1]), ("posts_tag", 1, "tag_id", "Value error, Must be")),
        (_set("users.0.id", None), ("user", 1, "id", "Value error, Must be text or a number")),
    ],
)
def test_a_ghost_value_of_the_wrong_type_fails_its_item_not_the_file(
    client: RecordingClient,
    editor_headers: dict[str, str],
    change: Any,
    expected: tuple[Any, ...],
) -> None:
    report = _report(client, editor_headers, _ghost(change), "ghost")

    kind, item, field, message = expected
    [error] = report["errors"]
    assert (error["kind"], error["item"], error["field"]) == (kind, item, field)
    assert message is None or error["message"].startswith(message)
    assert report["failed"] == 1
    lost = {FIRST_GHOST} if item == 1 and kind == "post" else set()
    if kind == "page":
        lost = {f"ghost:{GHOST['db'][0]['data']['posts'][2]['uuid']}"}
    assert _stored(client, editor_headers) == GHOST_IDS - lost


def test_a_ghost_site_locale_of_the_wrong_type_fails_that_setting(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    body = _ghost(lambda data: data.update(settings=[{"key": "locale", "value": 5}]))

    report = _report(client, editor_headers, body, "ghost")

    assert report["created"] == 3
    assert [(e["kind"], e["item"], e["field"]) for e in report["errors"]] == [
        ("setting", 1, "value")
    ]


@pytest.mark.parametrize(
    ("fmt", "body", "detail"),
    [
        ("ghost", _ghost(_set("posts_tags", 5)), "`db[0].data.posts_tags` is not a list."),
        ("ghost", _ghost(_set("posts", {})), "`db[0].data.posts` is not a list."),
        ("jsonfeed", _feed(_set("items", 5)), "items: Input should be a valid list"),
        ("jsonfeed", _feed(_set("language", 5)), "language: Input should be a valid string"),
    ],
)
def test_a_document_of_the_wrong_shape_is_a_422_naming_the_field(
    client: RecordingClient, editor_headers: dict[str, str], fmt: str, body: bytes, detail: str
) -> None:
    response = _post(client, editor_headers, body, fmt)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert detail in response.json()["detail"]
    assert _stored(client, editor_headers) == set()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_set("items.0.title", 5), "title"),
        (_set("items.0.tags.0", 5), "tags[0]"),
        (_set("items.0.authors", 5), "authors"),
        (_set("items.0.language", 5), "language"),
        (_set("items.0", "x"), None),
    ],
)
def test_a_json_feed_value_of_the_wrong_type_fails_its_item(
    client: RecordingClient, editor_headers: dict[str, str], change: Any, field: str | None
) -> None:
    report = _report(client, editor_headers, _feed(change), "jsonfeed")

    assert [(e["kind"], e["item"], e["field"]) for e in report["errors"]] == [("item", 1, field)]
    assert _stored(client, editor_headers) == {"brief-2024-05-06-uk"}


# ---- DTDs and entities -----------------------------------------------------------------

ENTITY = '<!DOCTYPE rss [<!ENTITY x "expanded">]>'


@pytest.mark.parametrize(
    ("fmt", "body", "reason"),
    [
        ("wxr", _wxr(_wxr_item("1").replace("Post 1", "&x;"), ENTITY), "(<!DOCTYPE>, where"),
        ("wxr", _wxr(_wxr_item("1"), "<!DOCTYPE rss>"), "document type declaration"),
        (
            "rss",
            f'<?xml version="1.0"?>{ENTITY}<rss version="2.0"><channel><title>t</title>'
            "<item><guid>a</guid><title>&x;</title></item></channel></rss>".encode(),
            "XML entity 'x'",
        ),
        (
            "rss",  # an encoding expat lacks: feedparser would still expand the entity
            f'<?xml version="1.0" encoding="shift_jis"?>{ENTITY}<rss version="2.0"><channel>'
            "<title>t</title><item><guid>a</guid><title>&x;</title></item></channel></rss>".encode(),
            "declares XML entities",
        ),
        (
            "wxr",
            _wxr(_wxr_item("1")).replace(b"UTF-8", b"shift_jis"),
            "multi-byte encodings are not supported",
        ),
    ],
)
def test_a_dtd_or_an_entity_declaration_is_a_422_naming_the_reason(
    client: RecordingClient, editor_headers: dict[str, str], fmt: str, body: bytes, reason: str
) -> None:
    response = _post(client, editor_headers, body, fmt)

    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]
    assert _stored(client, editor_headers) == set()


def test_the_cli_refuses_a_dtd(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "wxr.xml"
    path.write_bytes(_wxr(_wxr_item("1"), ENTITY))

    result = run_cli(database_url, "import", "--format", "wxr", str(path))

    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert "Refused: it holds a document type declaration" in result.stderr


# ---- ids in ASCII digits only ----------------------------------------------------------


@pytest.mark.parametrize("written", ["²", "١٢", "9" * 30])
def test_a_wxr_id_not_in_ascii_digits_is_no_number(
    client: RecordingClient, editor_headers: dict[str, str], written: str
) -> None:
    items = _wxr_item(written) + _wxr_item("2")
    items = items.replace(
        "</item>",
        "<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
        f"<wp:meta_value>{written}</wp:meta_value></wp:postmeta></item>",
        1,
    )

    report = _report(client, editor_headers, _wxr(items), "wxr")

    assert (report["created"], report["failed"]) == (2, 0)
    assert [n["message"] for n in report["notes"]] == [
        f"wp:post_id '{written}' is not a number: identified by its guid."
    ]
    guid = f"https://wp.example/guid-{written}"
    assert _stored(client, editor_headers) == {guid, "https://wp.example/?p=2"}


def test_the_cli_reads_a_non_ascii_id_as_no_number(
    client: RecordingClient, editor_headers: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "wxr.xml"
    path.write_bytes(_wxr(_wxr_item("²")))

    result = run_cli(database_url, "import", "--format", "wxr", str(path))

    assert result.returncode == 0, result.stderr
    assert _stored(client, editor_headers) == {"https://wp.example/guid-²"}


# ---- Content-Encoding --------------------------------------------------------------------


def test_a_gzip_import_is_decoded(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    lines = ndjson([article_line(n) for n in range(3)])
    # Two gzip members, as `cat a.gz b.gz` makes.
    body = gzip.compress(lines[:100]) + gzip.compress(lines[100:])

    plain = client.post(
        "/v1/imports",
        content=body,
        headers={**editor_headers, **NDJSON, "Content-Encoding": "gzip"},
    )
    ghost = _post(
        client,
        editor_headers,
        gzip.compress(_ghost(lambda d: None)),
        "ghost",
        **{"Content-Encoding": "gzip"},
    )

    assert plain.status_code == 200, plain.text
    assert plain.json()["created"] == 3
    assert ghost.status_code == 200, ghost.text
    assert ghost.json()["created"] == 3
    assert len(_stored(client, editor_headers)) == 6


@pytest.mark.parametrize("fmt", ["ndjson", "ghost"])
def test_a_gzip_bomb_is_a_413_at_the_import_limit(
    settings: Settings, editor_headers: dict[str, str], fmt: str
) -> None:
    app = create_app(settings.model_copy(update={"max_import_bytes": 100_000}))
    bomb = gzip.compress(b"\n" * 50_000_000)  # 50 MB in about 50 KB

    with TestClient(app) as client:
        response = _post(client, editor_headers, bomb, fmt, **{"Content-Encoding": "gzip"})

    assert len(bomb) < 100_000
    assert response.status_code == 413, response.text
    assert "100000 bytes" in response.json()["detail"]


@pytest.mark.parametrize(
    ("coding", "body", "status"),
    [
        ("br", b"x", 415),
        ("gzip, gzip", b"x", 415),
        ("compress", b"x", 415),
        ("gzip", b"not gzip at all", 400),
        ("gzip", gzip.compress(b"{}\n" * 100, mtime=0)[:-12], 400),  # cut short
    ],
    ids=["br", "twice", "compress", "not-gzip", "cut-short"],  # the same in every worker
)
def test_an_unknown_or_broken_coding_is_refused(
    client: RecordingClient, editor_headers: dict[str, str], coding: str, body: bytes, status: int
) -> None:
    response = client.post(
        "/v1/imports",
        content=body,
        headers={**editor_headers, **NDJSON, "Content-Encoding": coding},
    )

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
