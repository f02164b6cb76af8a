"""WordPress's category tree: categories are known by their nicename (slug), not their
name, so "News" under Sport and "News" under Politics (and WordPress's own `foo-a` and
`foo-a-foo-parent`, both "Foo A") stay apart, each with its parent."""

from pathlib import Path

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles, import_file

FIXTURES = Path(__file__).parent / "fixtures"
SITE = "https://citydesk.example.com"


def test_categories_with_one_name_under_two_parents_stay_apart_with_their_parents(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "wordpress-category-tree.xml", "wxr")

    assert counts(report) == (3, 0, 0, 0)
    assert report["notes"] == []  # nothing merged
    tags = {
        t["slug"]: (t["name"], t["kind"], t["parent"])
        for t in client.get("/v1/tags", params={"limit": 100}).json()["data"]
    }
    assert tags == {
        "sport": ("Sport", "section", None),
        "politics": ("Politics", "section", None),
        "news": ("News", "section", "sport"),
        "news-politics": ("News", "section", "politics"),
        "foo-parent": ("Foo Parent", "section", None),
        "foo-a": ("Foo A", "section", None),
        "foo-a-foo-parent": ("Foo A", "section", "foo-parent"),
    }
    assert client.get("/v1/tags/news-politics").json()["parent"] == "politics"
    stored = {
        line["external_id"]: [t["slug"] for t in line["tags"]]
        for line in exported_articles(client.get("/v1/exports", headers=editor_headers).text)
    }
    assert stored == {
        f"{SITE}/?p=101": ["news"],
        f"{SITE}/?p=102": ["news-politics"],
        f"{SITE}/?p=103": ["news", "news-politics", "foo-a", "foo-a-foo-parent"],
    }
    politics = client.get("/v1/articles", params={"tag": "news-politics"}).json()["data"]
    assert sorted(a["slug"] for a in politics) == ["budget-vote", "weekly-round-up"]
    again = import_file(client, editor_headers, FIXTURES / "wordpress-category-tree.xml", "wxr")
    assert counts(again) == (0, 0, 3, 0)


def test_two_terms_that_come_out_with_one_slug_are_reported_as_merged(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    # A hand-edited export: two categories whose nicenames differ only in case.
    text = (FIXTURES / "wordpress-category-tree.xml").read_text()
    merged = tmp_path / "merged.xml"
    merged.write_text(
        text.replace(
            'nicename="foo-a-foo-parent"><![CDATA[Foo A]]>', 'nicename="FOO-A"><![CDATA[Foo-A]]>'
        )
    )

    report = import_file(client, editor_headers, merged, "wxr")

    assert [(n["item"], n["source_id"], n["message"]) for n in report["notes"]] == [
        (3, "103", "Terms 'Foo A' and 'Foo-A' have one slug, 'foo-a': imported as one tag.")
    ]


def test_an_export_carries_each_tags_parents_and_imports_back_unchanged(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, FIXTURES / "wordpress-category-tree.xml", "wxr")

    text = client.get("/v1/exports", headers=editor_headers).text

    lines = {line["external_id"]: line for line in exported_articles(text)}
    assert lines[f"{SITE}/?p=102"]["tags"] == [
        {
            "slug": "news-politics",
            "names": {"en": "News"},
            "kind": "section",
            "parent": {"slug": "politics", "names": {"en": "Politics"}, "kind": "section"},
        }
    ]
    again = client.post(
        "/v1/imports",
        content=text.encode(),
        headers={**editor_headers, "Content-Type": "application/x-ndjson"},
    )
    assert counts(again.json()) == (0, 0, 3, 0)
