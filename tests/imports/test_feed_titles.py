"""Titles that show markup as text (an Atom `type="html"` title "History of the
&lt;blink&gt; tag", as feeds about the web write them): plain-text fields never keep what
reads as markup (app.core.html.inert_text), so those words are lost, and the report says so
per item, with the title as the feed showed it."""

from pathlib import Path

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, import_file

FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Web history</title>
  <id>https://web.example.org/</id>
  <updated>2024-03-01T10:00:00Z</updated>
  <link rel="self" href="https://web.example.org/feed.atom"/>
  <entry>
    <title type="html">History of the &amp;lt;blink&amp;gt; tag</title>
    <id>https://web.example.org/blink</id>
    <link href="https://web.example.org/blink"/>
    <updated>2024-03-01T10:00:00Z</updated>
    <content type="html">&lt;p&gt;It blinked.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title type="html">Tables &amp;amp; layout</title>
    <id>https://web.example.org/tables</id>
    <link href="https://web.example.org/tables"/>
    <updated>2024-03-02T10:00:00Z</updated>
    <content type="html">&lt;p&gt;Rows.&lt;/p&gt;</content>
  </entry>
</feed>
"""


def test_a_title_that_shows_markup_as_text_is_reported_with_what_was_stored(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "web.atom"
    path.write_text(FEED, encoding="utf-8")

    report = import_file(client, editor_headers, path, "atom")

    assert counts(report) == (2, 0, 0, 0)
    titles = [item["title"] for item in client.get("/v1/articles?lang=en").json()["data"]]
    assert "Tables & layout" in titles  # an entity in a title is text: nothing lost
    (stored,) = [title for title in titles if title.startswith("History of the")]
    assert "<" not in stored and stored.startswith("History of the")
    assert [(n["item"], n["message"]) for n in report["notes"]] == [
        (
            1,
            "Title 'History of the <blink> tag' shows markup as text, which plain-text "
            f"fields never keep: stored as '{stored}' (correct it in the editor).",
        )
    ]
