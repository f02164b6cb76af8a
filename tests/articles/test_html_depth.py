"""Issue 16, finding 8: 500 KB of 100,000 nested <div> took 56 s of a core to sanitize. Now
nesting deeper than MAX_HTML_DEPTH is refused with a 422 before the sanitizer sees it (a
linear scan of the tags, not a parse)."""

from app.core.html import MAX_HTML_DEPTH
from tests.conftest import RecordingClient
from tests.factories import make_article
from tests.imports.helpers import article_line, ndjson, post_import

DEPTH_ERROR = f"Value error, HTML nested deeper than {MAX_HTML_DEPTH} elements."


def _nested(depth: int, tag: str = "div") -> str:
    return f"<{tag}>" * depth + "x" + f"</{tag}>" * depth


def test_deep_nesting_is_refused_on_every_write_naming_the_field_and_the_limit(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    deep = "<div>" * 100_000 + "x"  # the finding's 500 KB body
    created = client.post(
        "/v1/editor/articles",
        json={"original_lang": "uk", "translations": [{"lang": "uk", "title": "T", "body": deep}]},
        headers=editor_headers,
    )
    assert created.status_code == 422, created.text[:300]
    assert created.json()["errors"] == [{"field": "translations[0].body", "message": DEPTH_ERROR}]

    article = make_article(client, editor_headers)
    replaced = client.put(
        f"/v1/editor/articles/{article['id']}/translations/uk",
        json={"title": "T", "body": deep},
        headers=editor_headers,
    )
    assert replaced.status_code == 422
    assert replaced.json()["errors"] == [{"field": "body", "message": DEPTH_ERROR}]

    line = article_line(1)
    line["translations"][1]["body"] = deep
    report = post_import(client, editor_headers, ndjson([article_line(0), line]))
    assert (report["created"], report["failed"]) == (1, 1)
    assert report["errors"] == [
        {"line": 2, "field": "translations[1].body", "message": DEPTH_ERROR}
    ]


def test_end_tags_the_parser_would_ignore_do_not_hide_depth(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """A stray end tag, or one that cannot reach out of a table, closes nothing."""
    for body in ("<div></span>" * 400, "<div><table></div>" * 200):
        response = client.post(
            "/v1/editor/articles",
            json={
                "original_lang": "uk",
                "translations": [{"lang": "uk", "title": "T", "body": body}],
            },
            headers=editor_headers,
        )
        assert response.status_code == 422, body[:40]
        assert response.json()["errors"][0]["message"] == DEPTH_ERROR


def test_nesting_up_to_the_limit_and_long_flat_bodies_are_stored(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    bodies = [
        _nested(MAX_HTML_DEPTH - 1, "div"),  # inside the body's own <html><body>: fine
        "<p>Абзац.</p>" * 20_000,
        "<ul>" + "<li>пункт" * 5_000 + "</ul>",
        "<p><b>жирний <i>курсив</b> далі</i></p>" * 2_000,
    ]
    for body in bodies:
        article = make_article(client, editor_headers, body=body)
        assert article["translations"][0]["body"].startswith(("<div>", "<p>", "<ul>"))
