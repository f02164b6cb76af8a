"""The report's `items`: what was read, beside what became of it."""

from tests.conftest import RecordingClient
from tests.imports.helpers import article_line, counts, ndjson, post_import


def test_an_ndjson_report_counts_its_article_lines_as_items(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    first = post_import(client, editor_headers, ndjson([article_line(1), article_line(2)]))
    assert (counts(first), first["items"]) == ((2, 0, 0, 0), 2)

    # An export (header, two articles, trailer) with a new line, a blank one and a broken one
    # put in: four article lines read (and a trailer that counts two).
    export = client.get("/v1/exports", headers=editor_headers).content.splitlines()
    body = ndjson([export[0], article_line(3), b"", b"{not json", *export[1:]])
    again = post_import(client, editor_headers, body)
    assert (counts(again), again["items"], again["truncated"]) == ((1, 0, 2, 1), 4, True)
