"""WordPress exports as real sites write them: both namespace spellings, WXR 1.0 terms,
posts identified by site and post id, every term kept, restricted posts never public,
WordPress's own rendering (wpautop, shortcodes, embeds, the more tag), and a report that
says what became of every item."""

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles, import_file

FIXTURES = Path(__file__).parent / "fixtures"
WXR = FIXTURES / "wordpress-https.xml"
SITE = "https://newsroom.example.com"
ATTACHMENT = "A media file, not an article (used as the image of the posts that show it)."


def _exported(client: RecordingClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    text = client.get("/v1/exports", headers=headers).text
    return {line["external_id"]: line for line in exported_articles(text)}


def _spelled(tmp_path: Path, namespace: str) -> Path:
    """The fixture with its WordPress namespaces spelled `http://` or `https://`."""
    path = tmp_path / f"wordpress-{namespace}.xml"
    text = WXR.read_text().replace(
        "https://wordpress.org/export/", f"{namespace}://wordpress.org/export/"
    )
    path.write_text(text)
    return path


@pytest.mark.parametrize("namespace", ["https", "http"])
def test_a_wordpress_export_under_either_namespace_spelling_reports_every_item(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path, namespace: str
) -> None:
    report = import_file(client, editor_headers, _spelled(tmp_path, namespace), "wxr")

    assert counts(report) == (13, 0, 0, 0)
    assert (report["format"], report["items"], report["skipped"]) == ("wxr", 18, 5)
    none = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    assert report["kinds"] == {
        "page": {**none, "created": 1},
        "attachment": {**none, "skipped": 2},
        "post": {**none, "created": 12, "skipped": 2},
        "nav_menu_item": {**none, "skipped": 1},
    }
    assert [(s["kind"], s["item"], s["source_line"], s["source_id"], s["message"])
            for s in report["skipped_items"]] == [
        ("attachment", 2, 74, "30", ATTACHMENT),
        ("attachment", 3, 112, "32", ATTACHMENT),
        ("post", 16, 574, "73", "In the trash."),
        ("nav_menu_item", 17, 599, "74", "A menu item: menus belong to the front end."),
        ("post", 18, 632, "75", "An auto-draft (WordPress never saved it)."),
    ]  # fmt: skip
    assert [(n["item"], n["source_line"], n["message"]) for n in report["notes"]] == [
        (
            5,
            190,
            "Password-protected at the source: imported as restricted (its body is not public).",
        ),
        (6, 215, "Private at the source: imported as restricted (its body is not public)."),
        (7, 240, "No title: titled from its text."),
        (8, 265, 'No title and no text: titled "(no title)".'),
    ]
    stored = _exported(client, editor_headers)
    # Identity: site + post id. Posts 50 and 51 share one guid and both are there.
    assert sorted(stored) == sorted(
        f"{SITE}/?p={n}" for n in (2, 31, 40, 41, 42, 43, 50, 51, 60, 61, 70, 71, 72)
    )
    assert [line["type"] for key, line in stored.items() if key == f"{SITE}/?p=2"] == ["page"]
    assert {stored[f"{SITE}/?p={n}"]["translations"][0]["title"] for n in (50, 51)} == {
        "Bridge repair starts",
        "Bridge repair ends",
    }
    # The channel says en-US: every post is English (the site default is uk).
    assert {line["original_lang"] for line in stored.values()} == {"en"}


def test_every_term_is_kept_and_a_tag_named_like_a_category_stays_apart(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, WXR, "wxr")
    stored = _exported(client, editor_headers)

    districts = [t["slug"] for t in stored[f"{SITE}/?p=60"]["tags"]]
    assert districts == ["news", *(f"district-{n}" for n in range(1, 47))]  # 47 terms
    streets = [t["slug"] for t in stored[f"{SITE}/?p=61"]["tags"]]
    assert streets == [f"street-{n}" for n in range(1, 65)]  # 64 terms
    trams = stored[f"{SITE}/?p=31"]["tags"]
    assert [(t["slug"], t["names"], t["kind"]) for t in trams] == [
        ("news", {"en": "News"}, "section"),  # the category
        ("news-tag", {"en": "news"}, "topic"),  # the tag of the same slug
        ("transport", {"en": "Transport"}, "topic"),
    ]
    article = client.get("/v1/articles/districts-2022", params={"lang": "en"}).json()
    assert len(article["tags"]) == 47


def test_wxr_1_0_tags_and_categories_written_twice_are_read_once_each(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "wordpress-wxr-1.0.xml", "wxr")

    assert counts(report) == (1, 0, 0, 0)
    article = client.get("/v1/articles/komanda-u-finali").json()
    assert (article["lang"], article["published_at"]) == ("uk", "2009-09-12T15:04:11Z")
    assert article["tags"] == [
        {"slug": "sport", "name": "Спорт", "kind": "section"},  # category
        {"slug": "podii", "name": "Події", "kind": "section"},  # category
        {"slug": "futbol", "name": "футбол", "kind": "topic"},  # domain="tag"
        {"slug": "sport-2", "name": "Спорт", "kind": "topic"},  # the tag, not the category
    ]
    assert [a["slug"] for a in article["authors"]] == ["redaktor"]  # dc:creator
    assert article["body"] == (
        "<p>Команда «Колос» перемогла 2:1 у півфіналі.<br>\n"
        "Вирішальний гол забили на 88-й хвилині.</p>\n"
        "<p>Фінал відбудеться <strong>26 вересня</strong> на міському стадіоні.</p>"
    )


def test_classic_posts_render_as_wordpress_shows_them(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """wpautop, [caption] and [gallery] as figures, [embed], a bare YouTube URL and a
    Vimeo iframe as links (no empty figure), <!--more--> as the excerpt."""
    import_file(client, editor_headers, WXR, "wxr")

    article = client.get("/v1/articles/trams-return", params={"lang": "en"}).json()
    uploads = f"{SITE}/wp-content/uploads/2023/05"
    rel = 'rel="noopener noreferrer"'
    assert article["body"] == (
        "<p>Trams are back on Sumska street after eleven months.<br>\n"
        "The city council said the line would run every twelve minutes.</p>\n"
        f'<figure><a href="{uploads}/tram.jpg" {rel}><img src="{uploads}/tram-1024x683.jpg" '
        'alt="A red tram at a stop" width="640" height="427"></a>'
        "<figcaption>The first tram on Sumska street</figcaption></figure>\n"
        "<p>Passengers queued from 6 a.m.</p>\n"
        f'<figure><img src="{uploads}/tram.jpg" alt="A red tram at a stop">'
        f'<img src="{uploads}/depot.jpg" alt="The tram depot"></figure>\n'
        f'<p><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" {rel}>'
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ</a></p>\n"
        f'<p><a href="https://twitter.com/kharkiv_city/status/1653300000000000000" {rel}>'
        "https://twitter.com/kharkiv_city/status/1653300000000000000</a></p>\n"
        f'<figure><a href="https://vimeo.com/76979871" {rel}>https://vimeo.com/76979871</a>'
        "</figure>"
    )
    assert article["excerpt"] == (
        "Trams are back on Sumska street after eleven months. "
        "The city council said the line would run every twelve minutes."
    )
    assert "<p></p>" not in article["body"] and "<figure></figure>" not in article["body"]
    assert "[" not in article["body"]


def test_restricted_and_unpublished_posts_keep_their_real_dates_and_stay_private(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, WXR, "wxr")
    stored = _exported(client, editor_headers)

    def status(n: int) -> tuple[str, str, str | None]:
        line = stored[f"{SITE}/?p={n}"]
        return line["status"], line["visibility"], line["published_at"]

    restricted = ("published", "restricted")
    assert status(40) == (*restricted, "2023-06-01T09:00:00Z")  # password-protected
    assert status(41) == (*restricted, "2023-06-02T09:00:00Z")  # private
    # Drafts and pending posts: WordPress's 0000-00-00 and "30 Nov -0001" are no date.
    assert status(70) == ("draft", "public", None)
    assert status(71) == ("draft", "public", None)  # pending
    assert status(72) == ("published", "public", "2031-01-01T06:00:00Z")  # scheduled
    for slug in ("draft-council-vote", "metro-timetable"):
        assert client.get(f"/v1/articles/{slug}", params={"lang": "en"}).status_code == 404
    for slug in ("budget-hearing", "private-memo"):  # listed, never with the body
        article = client.get(f"/v1/articles/{slug}", params={"lang": "en"}).json()
        assert (article["visibility"], article["body"], article["excerpt"]) == (
            "restricted",
            None,
            "",
        )
    search = client.get("/v1/search", params={"q": "closed hearing", "lang": "en"}).json()
    assert search["data"] == []


def test_posts_without_a_title_are_titled_not_dropped(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, WXR, "wxr")
    stored = _exported(client, editor_headers)

    titled = stored[f"{SITE}/?p=42"]["translations"][0]
    assert (titled["title"], titled["slug"]) == (
        "Power was restored to 12,000 homes in Saltivka overnight, the regional…",
        "power-was-restored-to-12000-homes-in-saltivka-overnight-the-regional",
    )
    untitled = stored[f"{SITE}/?p=43"]["translations"][0]
    assert (untitled["title"], untitled["slug"]) == ("(no title)", "no-title")


def test_reimporting_an_unchanged_export_changes_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, WXR, "wxr")
    token = client.get("/v1/sync").json()["meta"]["next_sync_token"]
    exported = client.get("/v1/exports", headers=editor_headers).text

    again = import_file(client, editor_headers, WXR, "wxr")

    assert counts(again) == (0, 0, 13, 0)
    assert again["kinds"]["post"]["unchanged"] == 12
    assert client.get("/v1/exports", headers=editor_headers).text == exported
    assert client.get("/v1/sync", params={"token": token}).json()["data"] == []


def test_a_file_cut_off_part_way_says_how_much_was_written_and_a_rerun_completes_it(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    text = WXR.read_text()
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.index("Archive: every street renamed")])  # inside item 12

    response = client.post(
        "/v1/imports",
        content=cut.read_bytes(),
        headers={**editor_headers, "Content-Type": "application/xml"},
        params={"format": "wxr"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "Not a well-formed WXR file: unclosed CDATA section: line 412, column 18. "
        "Stopped after 11 items: 9 articles were written (9 created, 0 updated; 0 unchanged). "
        "Re-running the complete file finishes the import: what is already stored is "
        "reported unchanged."
    )
    assert len(_exported(client, editor_headers)) == 9
    rerun = import_file(client, editor_headers, WXR, "wxr")
    assert counts(rerun) == (4, 0, 9, 0)


def test_featured_images_pages_and_sticky_posts_keep_what_wordpress_knew(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, WXR, "wxr")

    trams = client.get("/v1/articles/trams-return", params={"lang": "en"}).json()
    assert trams["cover_image"] == {
        "url": f"{SITE}/wp-content/uploads/2023/05/tram.jpg",
        "width": 1600,
        "height": 1067,
        "alt": "A red tram at a stop",
        "caption": "The first tram on Sumska street",
        "credit": None,
    }
    page = client.get("/v1/pages/about", params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert page.json()["body"] == "\n<p>Who we are.</p>\n"
    feed = client.get("/v1/articles", params={"lang": "en", "limit": 100}).json()["data"]
    assert "about" not in {item["slug"] for item in feed}  # a page is never in the feed


def test_bylines_come_from_the_channels_authors_and_sticky_posts_are_featured(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    import_file(client, editor_headers, WXR, "wxr")

    trams = client.get("/v1/articles/trams-return", params={"lang": "en"}).json()
    assert [(a["slug"], a["name"]) for a in trams["authors"]] == [("iryna", "Iryna Bondar")]
    assert trams["featured"] is True
    featured = client.get("/v1/articles", params={"featured": "true", "lang": "en"}).json()
    assert [item["slug"] for item in featured["data"]] == ["trams-return"]
    by_author = client.get("/v1/articles", params={"author": "iryna", "limit": 100}).json()
    assert len(by_author["data"]) == 9  # every listed post of the file is hers
