"""Relative links in a real static-site Atom feed (Jekyll's shape: `href="/2024/..."`, no
xml:base): resolved against where the feed lives (its `self` link), not dropped."""

from pathlib import Path

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles, import_file

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://notes.example.net"


def test_relative_item_links_are_resolved_against_the_feeds_address(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "blog-relative-links.atom", "atom")

    assert counts(report) == (2, 0, 0, 0)
    assert report["notes"] == []
    lines = exported_articles(client.get("/v1/exports", headers=editor_headers).text)
    # Ids are identities: kept as the feed writes them, never resolved.
    assert sorted(line["external_id"] for line in lines) == [
        "/2024/04/02/ferry-closed",
        "/2024/05/20/river-ferry",
    ]
    stored = {line["canonical_url"]: line["translations"][0] for line in lines}
    assert sorted(stored) == [
        f"{SITE}/2024/04/02/ferry-closed/",
        f"{SITE}/2024/05/20/river-ferry/",
    ]
    ferry = stored[f"{SITE}/2024/05/20/river-ferry/"]
    assert ferry["slug"] == "river-ferry"
    assert f'href="{SITE}/2024/04/02/ferry-closed/"' in ferry["body"]


def test_a_relative_link_with_nothing_to_resolve_it_against_is_reported(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    text = (FIXTURES / "blog-relative-links.atom").read_text()
    bare = tmp_path / "bare.atom"
    bare.write_text(text.replace("https://notes.example.net/feed.xml", "/feed.xml"))

    report = import_file(client, editor_headers, bare, "atom")

    assert counts(report) == (2, 0, 0, 0)
    assert [(n["item"], n["message"]) for n in report["notes"]] == [
        (
            n,
            f"Link '{link}' is relative and the feed names no address to resolve it against: "
            "not kept as the article's canonical URL.",
        )
        for n, link in ((1, "/2024/05/20/river-ferry/"), (2, "/2024/04/02/ferry-closed/"))
    ]
