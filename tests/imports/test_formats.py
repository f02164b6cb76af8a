"""WXR, RSS, Atom and Ghost files: converted, then imported through POST /v1/imports."""

import json
from pathlib import Path
from typing import Any

import pytest

from app.imports.formats import CONVERTERS, Format
from app.imports.formats.common import ConversionFailed, Options, Remark
from tests.conftest import RecordingClient
from tests.imports.helpers import counts, import_file

FIXTURES = Path(__file__).parent / "fixtures"


def _import(
    client: RecordingClient, headers: dict[str, str], name: str, fmt: Format
) -> dict[str, Any]:
    return import_file(client, headers, FIXTURES / name, fmt)


def _exported(client: RecordingClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Every stored article (drafts too), by external_id, as GET /v1/exports gives it."""
    text = client.get("/v1/exports", headers=headers).text
    articles = text.splitlines()[1:-1]  # between the export's header and trailer
    return {line["external_id"]: line for line in map(json.loads, articles)}


def _article(client: RecordingClient, slug: str, lang: str = "uk") -> dict[str, Any]:
    response = client.get(f"/v1/articles/{slug}", params={"lang": lang})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _versions(line: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(t["lang"], t["title"], t["slug"]) for t in line["translations"]]


def test_wordpress_polylang_export_imports_posts_with_linked_translations(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = _import(client, editor_headers, "wordpress-polylang.xml", Format.WXR)

    assert counts(report) == (5, 0, 0, 0)  # the attachment and the trashed post skipped
    assert _exported(client, editor_headers)["https://old.example.org/?p=5"]["type"] == "page"
    article = _article(client, "novyny-ta-podii")
    assert article["title"] == "Новини & події: п’ять років «Допису»"
    assert article["published_at"] == "2019-03-05T10:22:33Z"
    assert article["updated_at"] == "2019-03-06T07:00:00Z"
    assert article["excerpt"] == "Редакції — п’ять років."
    assert article["tags"] == [
        {"slug": "novyny", "name": "Новини", "kind": "section"},  # a category
        {"slug": "ukraina", "name": "Україна", "kind": "topic"},
    ]
    assert article["body"] == (
        "\n<p>Редакція святкує&nbsp;п’ять років. Дякуємо читачам &amp; авторам!</p>\n\n\n\n"
        '<figure><img src="https://old.example.org/wp-content/uploads/2019/03/torte.jpg" '
        'alt="Торт"></figure>\n\n\n\n<p>Читайте <a href="https://old.example.org/arkhiv/" '
        'rel="noopener noreferrer">архів</a>.</p>\n'
    )
    assert [(t["lang"], t["slug"]) for t in article["translations"]] == [
        ("en", "news-and-events"),
        ("uk", "novyny-ta-podii"),
    ]
    english = _article(client, "news-and-events", "en")
    assert (english["id"], english["title"]) == (
        article["id"],
        "News & events: five years of Dopys",
    )
    assert english["body"] == "<p>The newsroom turns five. Thanks to readers &amp; writers!</p>"
    assert _article(client, "staryi-dopys")["published_at"] == "2013-12-04T16:30:00Z"

    stored = _exported(client, editor_headers)
    draft = stored["https://old.example.org/?p=103"]
    assert (draft["status"], draft["published_at"]) == ("draft", None)
    assert _versions(draft) == [("en", "Draft without a date", "draft-without-a-date")]
    assert draft["translations"][0]["body"] == (
        "<p>First paragraph of a classic post.<br>\nSecond line, same paragraph.</p>\n"
        "<p>Second paragraph with <strong>bold</strong> text.</p>"
    )
    assert draft["translations"][0]["excerpt"] == (
        "First paragraph of a classic post. Second line, same paragraph. "
        "Second paragraph with bold text."
    )
    scheduled = stored["https://old.example.org/?p=104"]
    assert (scheduled["status"], scheduled["published_at"]) == (
        "published",
        "2031-03-01T06:00:00Z",
    )
    assert client.get("/v1/articles/zaplanovano").status_code == 404  # scheduled, not yet public

    again = _import(client, editor_headers, "wordpress-polylang.xml", Format.WXR)
    assert counts(again) == (0, 0, 5, 0)


def test_wordpress_wpml_translation_group_becomes_one_article_led_by_the_original(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    assert counts(_import(client, editor_headers, "wordpress-wpml.xml", Format.WXR)) == (1, 0, 0, 0)

    line = _exported(client, editor_headers)["https://wpml.example.org/?p=40"]
    assert line["original_lang"] == "en"
    assert line["published_at"] == "2024-02-20T13:00:00Z"
    assert [t["slug"] for t in line["tags"]] == ["world", "czechia"]
    english = "Czech Republic is ready to search for ammunition"
    assert _versions(line) == [
        ("en", english, "czech-republic-ready-to-search-for-ammunition"),
        ("uk", "Переклад: Чехія шукатиме боєприпаси", "chekhiia-shukatyme-boieprypasy"),
    ]


def test_rss_items_import_with_guid_as_external_id_and_bad_items_reported(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = _import(client, editor_headers, "wire.rss", Format.RSS)

    assert counts(report) == (4, 0, 0, 0)
    # No guid, no link, no title: identified by a hash of its content, titled from its text.
    assert [(n["item"], n["message"]) for n in report["notes"]] == [
        (
            3,
            "Date 'учора ввечері' could not be read: published with the import time as its "
            "date (set the date in the editor).",
        ),
        (4, "No title: titled from its text."),
    ]
    stored = _exported(client, editor_headers)
    assert sorted(stored) == [
        "feed-item:08b134f1dd1f8c39415ff6c0c7e86ed8",
        "https://wire.example.com/p/777",
        "https://wire.example.com/society/bez-guid/",  # no guid: the link
        "wire-2024-07-01-0042",
    ]
    assert _versions(stored["feed-item:08b134f1dd1f8c39415ff6c0c7e86ed8"]) == [
        ("uk", "Ні guid, ні посилання, ні заголовка.", "ni-guid-ni-posylannia-ni-zaholovka")
    ]
    article = _article(client, "tsiny-na-haz-zrosly")
    assert article["title"] == "Ціни на газ & нафту зросли на 5%"
    assert article["published_at"] == "2024-07-01T07:15:00Z"
    assert article["excerpt"] == "Біржові ціни на газ і нафту зросли на 5 відсотків."
    assert article["tags"] == [
        {"slug": "ekonomika", "name": "Економіка", "kind": "topic"},
        {"slug": "enerhetyka", "name": "Енергетика", "kind": "topic"},
    ]
    assert article["cover_image"]["url"] == "https://wire.example.com/img/gas.jpg"
    assert article["body"] == (
        "<p>Біржові ціни на газ і нафту <strong>зросли</strong> на 5&nbsp;%.</p>"
        '<p>Аналітики очікують «стабілізації» <a href="" rel="noopener noreferrer">восени</a>.</p>'
    )
    odd = _article(client, "bez-guid")
    assert odd["published_at"] == "2024-06-30T08:00:00Z"  # "2024-06-30 08:00", read as UTC
    assert odd["body"] == "<p>Текст лише в description <b>з розміткою</b>.</p>"
    undated = stored["https://wire.example.com/p/777"]
    assert undated["status"] == "published"  # an unreadable date: published at import time
    assert _versions(undated) == [("uk", "Дата, якої не розібрати", "data-yakoi-ne-rozibraty")]
    assert counts(_import(client, editor_headers, "wire.rss", Format.RSS)) == (0, 0, 4, 0)


def test_atom_entries_import_with_their_language_html_titles_and_content(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    assert counts(_import(client, editor_headers, "newsroom.atom", Format.ATOM)) == (2, 0, 0, 0)

    explainer = _article(client, "qa-sanctions", "en")
    assert (explainer["lang"], explainer["title"]) == ("en", "Q&A: what sanctions mean")
    assert explainer["published_at"] == "2024-07-02T06:00:00Z"
    assert explainer["excerpt"] == "Five questions on the new package."
    assert [t["slug"] for t in explainer["tags"]] == ["world", "explainers"]
    assert explainer["body"] == (
        "<h2>Why now?</h2><p>The EU agreed its <em>14th</em> package &amp; more.</p>"
        '<img src="https://news.example.net/x.png">'
    )
    metro = _article(client, "kyiv-metro")
    assert (metro["lang"], metro["title"]) == ("uk", "Київ: відновлення метро")
    assert metro["published_at"] == "2024-07-01T06:45:00Z"  # no <published>: <updated>
    assert metro["tags"] == [{"slug": "kyiv", "name": "Київ", "kind": "topic"}]
    assert metro["body"] == "<p>Станцію «Деміївська» відкрили після ремонту.</p>"


def test_ghost_export_imports_posts_with_ordered_public_tags(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = _import(client, editor_headers, "ghost-export.json", Format.GHOST)
    assert counts(report) == (3, 0, 0, 0)
    assert report["kinds"]["page"]["created"] == 1  # "Про редакцію"

    article = _article(client, "iak-my-pereishly-z-ghost")
    assert article["title"] == "Як ми перейшли з Ghost"
    assert (article["published_at"], article["updated_at"]) == (
        "2024-06-29T07:30:00Z",
        "2024-06-30T12:34:56Z",
    )
    assert article["excerpt"] == "Тиждень переїзду."
    assert article["tags"] == [
        {"slug": "novyny", "name": "Новини", "kind": "topic"},
        {"slug": "tekhnolohii", "name": "Технології", "kind": "topic"},
    ]  # sorted by sort_order; the internal #import-2024 tag left out
    assert article["cover_image"]["url"] == "https://cdn.example.com/cover.jpg"
    assert article["body"] == (
        "<p>Переїзд тривав <em>тиждень</em> &amp; минув без втрат.</p>"
        '<figure><img src="https://cdn.example.com/move.jpg" alt="Коробки"></figure>'
    )
    draft = _exported(client, editor_headers)["ghost:1c5d0b63-6e8f-4068-8b60-1c1d2e3f4a51"]
    assert (draft["status"], draft["original_lang"], draft["cover_image"]) == (
        "draft",
        "en",
        None,
    )


@pytest.mark.parametrize(
    ("fmt", "content"),
    [
        (Format.WXR, b"<rss><channel><item>"),
        (Format.GHOST, b'{"posts": []}'),
        (Format.RSS, b"not a feed at all"),
    ],
)
def test_a_file_that_is_not_of_its_format_is_refused_with_a_reason(
    fmt: Format, content: bytes
) -> None:
    from io import BytesIO

    if fmt == Format.RSS:  # no items at all: said, and the import fails with NoItems
        [remark] = list(CONVERTERS[fmt](BytesIO(content), Options("uk")))
        assert isinstance(remark, Remark)
        assert remark.message.startswith("Not a readable RSS or Atom feed")
        return
    with pytest.raises(ConversionFailed, match="Not a"):
        list(CONVERTERS[fmt](BytesIO(content), Options("uk")))
