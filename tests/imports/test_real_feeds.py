"""Feeds as they are in the wild: items with neither guid nor link, one guid on two
episodes, dates in Portuguese, empty files and HTML error pages, feeds that name no
language. Nothing is merged, replaced or assumed in silence."""

from pathlib import Path

import httpx2

from tests.conftest import RecordingClient
from tests.imports.conftest import run_cli
from tests.imports.helpers import counts, exported_articles

RSS = {"Content-Type": "application/rss+xml"}


def _rss(items: str, channel: str = "<language>uk</language>") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Ранковий лист</title><link>https://lyst.example.org/</link>{channel}"
        f"{items}</channel></rss>"
    ).encode()


def _post(
    client: RecordingClient, headers: dict[str, str], body: bytes, **params: str
) -> httpx2.Response:
    return client.post(
        "/v1/imports", content=body, headers={**headers, **RSS}, params={"format": "rss", **params}
    )


BRIEFINGS = _rss(
    "<item><title>Daily briefing</title><description>Понеділок: ремонт мосту.</description></item>"
    "<item><title>Daily briefing</title><description>Вівторок: нова школа.</description></item>"
)


def test_two_undated_items_without_guid_or_link_are_two_articles(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = _post(client, editor_headers, BRIEFINGS).json()

    assert counts(report) == (2, 0, 0, 0)
    bodies = sorted(
        line["translations"][0]["body"]
        for line in exported_articles(client.get("/v1/exports", headers=editor_headers).text)
    )
    assert bodies == ["<p>Вівторок: нова школа.</p>", "<p>Понеділок: ремонт мосту.</p>"]
    assert counts(_post(client, editor_headers, BRIEFINGS).json()) == (0, 0, 2, 0)


def test_two_episodes_sharing_one_guid_both_import_and_the_report_says_so(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    episode = (
        '<item><title>{t}</title><guid isPermaLink="false">ep-41</guid>'
        "<pubDate>Fri, 15 Mar 2024 17:00:00 +0200</pubDate><description>{d}</description></item>"
    )
    body = _rss(
        episode.format(t="Випуск 41", d="Про мости.")
        + episode.format(t="Випуск 42", d="Про школи.")
        + episode.format(t="Випуск 41", d="Про мости.")
    )

    report = _post(client, editor_headers, body).json()

    assert counts(report) == (2, 0, 0, 0)
    [note] = report["notes"]
    assert (note["item"], note["message"]) == (
        2,
        f"Shares its guid 'ep-41' with item 1, with other content: imported as an article of "
        f"its own (external_id '{note['source_id']}').",
    )
    assert note["source_id"].startswith("ep-41#")
    assert [(s["item"], s["message"]) for s in report["skipped_items"]] == [
        (3, "A repeat of item 1: the same guid 'ep-41' and the same content.")
    ]


def test_an_unreadable_date_is_reported_with_its_value_and_the_item_still_imports(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    body = _rss(
        "<item><title>Notícia</title><link>https://jornal.example.pt/noticia-1</link>"
        "<pubDate>Seg, 24 Set 2018 10:00:00 -0300</pubDate>"
        "<description>Texto.</description></item>",
        "<language>en</language>",  # pt is not one of the test site's languages
    )

    report = _post(client, editor_headers, body).json()

    assert counts(report) == (1, 0, 0, 0)
    assert [(n["item"], n["source_id"], n["message"]) for n in report["notes"]] == [
        (
            1,
            "https://jornal.example.pt/noticia-1",
            "Date 'Seg, 24 Set 2018 10:00:00 -0300' could not be read: published with the "
            "import time as its date (set the date in the editor).",
        )
    ]


def test_a_file_with_no_items_is_a_422_over_http_and_exit_1_on_the_cli(
    client: RecordingClient, editor_headers: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    error_page = (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1><hr><center>nginx</center></body></html>"
    )
    for body in (b"", error_page, _rss("")):
        response = _post(client, editor_headers, body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].startswith("No items found in this rss file")
    page = tmp_path / "feed.rss"
    page.write_bytes(error_page)
    result = run_cli(database_url, "import", str(page), "--format", "rss")
    assert result.returncode == 1, result.stderr
    assert "No items found in this rss file" in " ".join(result.stderr.split())


def test_a_file_with_items_of_which_none_is_imported_is_a_422_that_says_why(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    polish = _rss(
        "<item><title>Wiadomość</title><guid>pl-1</guid><description>Tekst.</description></item>",
        "<language>pl</language>",
    )

    response = _post(client, editor_headers, polish)

    assert response.status_code == 422
    assert response.json()["detail"] == (
        "Nothing imported: the file has 1 items and none of them was stored (0 skipped, 1 failed)."
    )
    assert response.json()["errors"] == [
        {
            "field": "items[1].translations[0].lang",
            "message": "item: 'pl' is not one of the site's languages (uk, en); add it to "
            "SITE_LANGUAGES to import it.",
        }
    ]
    # Items found stored already are a success: unchanged.
    same = _rss("<item><title>A</title><guid>g</guid><description>x</description></item>")
    assert _post(client, editor_headers, same).status_code == 200
    assert counts(_post(client, editor_headers, same).json()) == (0, 0, 1, 0)


def test_a_feed_that_names_no_language_is_reported_and_lang_overrides_a_declared_one(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    item = "<item><title>Hello</title><guid>h-1</guid><description>Text.</description></item>"

    report = _post(client, editor_headers, _rss(item, channel="")).json()

    assert report["remarks"] == [
        "The file names no language: its items that name none are labelled 'uk' (the "
        "site's default; --lang or lang= sets another)."
    ]
    wrong = _rss(item.replace("h-1", "h-2"), channel="<language>uk</language>")
    assert _post(client, editor_headers, wrong, lang="en").json()["remarks"] == []
    stored = {
        line["external_id"]: line["original_lang"]
        for line in exported_articles(client.get("/v1/exports", headers=editor_headers).text)
    }
    assert stored == {"h-1": "uk", "h-2": "en"}
