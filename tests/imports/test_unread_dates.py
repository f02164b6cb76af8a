"""Dates a WordPress or Ghost export gives but the import cannot read: each reported with
its raw value, the item still imported (dated with the import time), never in silence."""

import json
from pathlib import Path

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, import_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_published_wordpress_post_with_no_readable_date_is_reported(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    text = (FIXTURES / "wordpress-category-tree.xml").read_text()
    # A post moved between sites by a plugin: a zero GMT date and a localized pubDate.
    text = text.replace(
        "<pubDate>Mon, 04 Mar 2024 11:00:00 +0000</pubDate>",
        "<pubDate>Seg, 24 Set 2018 11:00:00 +0000</pubDate>",
    ).replace(
        "<wp:post_date_gmt><![CDATA[2024-03-04 11:00:00]]></wp:post_date_gmt>",
        "<wp:post_date_gmt><![CDATA[0000-00-00 00:00:00]]></wp:post_date_gmt>",
    )
    export = tmp_path / "export.xml"
    export.write_text(text)

    report = import_file(client, editor_headers, export, "wxr")

    assert counts(report) == (3, 0, 0, 0)
    assert [(n["item"], n["source_id"], n["message"]) for n in report["notes"]] == [
        (
            1,
            "101",
            "No readable date (wp:post_date_gmt '0000-00-00 00:00:00', wp:post_date "
            "'2024-03-04 11:00:00', pubDate 'Seg, 24 Set 2018 11:00:00 +0000'): published "
            "with the import time as its date (set the date in the editor).",
        )
    ]


def test_a_ghost_post_with_an_unreadable_date_is_reported(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    document = json.loads((FIXTURES / "ghost-5-newsletter.json").read_text())
    post = document["db"][0]["data"]["posts"][1]
    post["published_at"] = "11/11/2024 09:00"  # hand-edited in a spreadsheet
    export = tmp_path / "ghost.json"
    export.write_text(json.dumps(document))

    report = import_file(client, editor_headers, export, "ghost")

    assert [(n["item"], n["message"]) for n in report["notes"]][1:] == [
        (
            2,
            "Date '11/11/2024 09:00' (published_at) could not be read: published with the "
            "import time as its date (set the date in the editor).",
        )
    ]
