"""Bad lines are reported (line, field, message) and never stop the good ones."""

from fastapi.testclient import TestClient

from app.articles.schemas import MAX_BODY_CHARS
from app.core.config import Settings
from app.imports.parsing import LineSplitter, SeenKeys
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import walk_feed
from tests.imports.helpers import NDJSON, article_line, ndjson, post_import


def test_every_good_line_is_stored_and_every_bad_one_reported(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    good = [article_line(n) for n in range(8)]
    too_long = "x" * (MAX_BODY_CHARS + 1)
    clash = article_line(100)
    clash["translations"][1]["slug"] = "news-number-0"  # line 1's English slug
    lines: list[dict | str | bytes] = [
        good[0],
        '{"external_id": "broken", "translations": [',  # 2: malformed JSON
        good[1],
        article_line(101, author="Ivan"),  # 4: unknown field
        article_line(102, published_at="yesterday"),  # 5: bad date
        good[2],
        article_line(103, translations=[{"lang": "uk", "body": "<p>без заголовка</p>"}]),  # 7
        article_line(104, translations=[{"lang": "uk", "title": "Т", "body": too_long}]),  # 8
        clash,  # 9: slug clash
        good[3],
        article_line(1),  # 11: the same external_id as line 3
        b'{"external_id": "latin1", "title": "caf\xe9"}',  # 12: not UTF-8
        "[1, 2]",  # 13: not an object
        "",  # blank lines are skipped
        good[4],
        article_line(105, published_at="2024-07-01T10:00:00"),  # 16: no offset
        {"translations": [{"lang": "uk", "title": "Без ключа"}]},  # 17: no external_id
        article_line(106, original_lang="de"),  # 18: no German translation
        article_line(107, citations=[{"source": "isw", "via": 0}]),  # 19: via must be earlier
        good[5],
        article_line(108, tags=["news", "news"]),  # 21: a tag twice
        article_line(109, tags=["Not A Slug"]),  # 22
        good[6],
        good[7],
    ]  # fmt: skip

    report = post_import(client, editor_headers, ndjson(lines))

    assert (report["created"], report["updated"], report["unchanged"]) == (8, 0, 0)
    assert report["failed"] == 15
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (2, None),
        (4, "author"),
        (5, "published_at"),
        (7, "translations[0].title"),
        (8, "translations[0].body"),
        (9, "translations[1].slug"),
        (11, "external_id"),
        (12, None),
        (13, None),
        (16, "published_at"),
        (17, "external_id"),
        (18, "original_lang"),
        (19, "citations[0].via"),
        (21, "tags"),
        (22, "tags[0].slug"),
    ]
    messages = {e["line"]: e["message"] for e in report["errors"]}
    assert messages[2] == "Malformed JSON: unexpected end of data (column 44)."
    assert messages[4] == "Unknown field."
    assert messages[5].startswith("Input should be a valid datetime")
    assert messages[7] == "Required."
    assert messages[8] == f"String should have at most {MAX_BODY_CHARS} characters"
    assert messages[9] == "The slug 'news-number-0' is already used by another 'en' article."
    assert messages[11] == "Also on line 3 of this file."
    assert messages[12] == "Not valid UTF-8 (byte 40 of the line)."
    assert messages[13] == "Must be a JSON object (one article)."
    assert messages[16] == "Needs a UTC offset (RFC 3339), e.g. 2024-07-01T10:00:00Z."
    assert messages[18] == "There must be a translation in the original language."
    assert len(walk_feed(client, limit=100)) == 8
    stored = {
        item["slug"] for item in client.get("/v1/articles", params={"lang": "en"}).json()["data"]
    }
    assert stored == {f"news-number-{n}" for n in range(8)}


def test_a_line_repeating_one_from_an_earlier_batch_is_a_duplicate(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    lines = [article_line(n) for n in range(600)] + [article_line(5)]  # batches of 500

    report = post_import(client, editor_headers, ndjson(lines))

    assert (report["created"], report["failed"]) == (600, 1)
    assert report["errors"] == [
        {"line": 601, "field": "external_id", "message": "Also on line 6 of this file."}
    ]


def test_the_splitter_skips_an_over_long_line_without_keeping_it() -> None:
    splitter = LineSplitter(max_line_bytes=10)
    out = splitter.feed(b'{"a":1}\n0123456')
    out += splitter.feed(b"789abcdef")  # past the limit: dropped as it streams
    out += splitter.feed(b"ghi\n{}\r\n{")
    out += splitter.feed(b'"b":2}')
    out += splitter.close()

    assert out == [(1, b'{"a":1}'), (2, None), (3, b"{}\r"), (4, b'{"b":2}')]


def test_seen_keys_remember_every_key_and_its_line_as_the_table_grows() -> None:
    seen = SeenKeys(capacity=8)
    for n in range(1, 10_001):
        seen.add(f"e:wire-{n}", n)

    assert [seen.line_of(f"e:wire-{n}") for n in (1, 2048, 4097, 10_000)] == [1, 2048, 4097, 10_000]
    assert seen.line_of("e:wire-10001") is None
    assert seen.line_of("i:wire-1") is None


def test_an_id_that_contradicts_the_stored_article_fails_its_line(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    post_import(client, editor_headers, ndjson([article_line(1)]))
    stored_id = client.get("/v1/articles/novyna-nomer-1").json()["id"]
    other = "0b4c9a52-5d7e-4f57-9a5f-0b0c1d2e3f40"
    lines = [
        article_line(1, id=other),  # wire-1 is stored under another id
        article_line(2, id=stored_id),  # a new external_id, but wire-1's id
        article_line(3, id=other),
        article_line(4, id=other),  # the id line 3 just took
    ]

    report = post_import(client, editor_headers, ndjson(lines))

    assert (report["created"], report["failed"]) == (1, 3)
    taken = "Another article has this id."
    assert [(e["line"], e["field"], e["message"]) for e in report["errors"]] == [
        (1, "id", f"The article with this external_id has the id {stored_id}."),
        (2, "id", taken),
        (4, "id", taken),
    ]


def test_a_body_over_the_import_limit_is_refused(
    settings: Settings, editor_headers: dict[str, str]
) -> None:
    app = create_app(settings.model_copy(update={"max_import_bytes": 200_000}))
    lines = [ndjson([article_line(n)]) for n in range(1000)]  # about 270 KB
    headers = {**editor_headers, **NDJSON}

    with TestClient(app) as client:
        declared = client.post("/v1/imports", content=b"".join(lines), headers=headers)
        chunked = client.post("/v1/imports", content=iter(lines), headers=headers)  # no length
        stored = walk_feed(client, limit=100)

    limit = "An import may be up to 200000 bytes; split the file."
    assert (declared.status_code, declared.json()["detail"]) == (413, limit)
    assert (chunked.status_code, chunked.json()["detail"]) == (413, limit)
    assert stored == []


def test_a_nul_character_in_a_key_is_that_line_s_error(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    # Found by the NDJSON property test: the unchanged-line lookup sent it to PostgreSQL.
    lines: list[dict | str | bytes] = [article_line(0), article_line(1, external_id="bad\x00key")]
    report = post_import(client, editor_headers, ndjson(lines))
    assert (report["created"], report["failed"]) == (1, 1)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(2, "external_id")]
