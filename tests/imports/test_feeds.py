"""Real feeds: a podcast whose items share a link's last segment, a YouTube channel
(`watch?v=` links, one title twice), JSON Feed, and legacy encodings, declared or not."""

from pathlib import Path
from typing import Any

from app.core.config import Settings
from tests.conftest import RecordingClient
from tests.imports.helpers import counts, exported_articles, import_file

FIXTURES = Path(__file__).parent / "fixtures"


def _exported(client: RecordingClient, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    text = client.get("/v1/exports", headers=headers).text
    return {line["external_id"]: line for line in exported_articles(text)}


def _slugs(stored: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {key: line["translations"][0]["slug"] for key, line in stored.items()}


def test_podcast_items_with_colliding_links_all_import_with_suffixed_slugs(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "podcast.rss", "rss")

    assert counts(report) == (5, 0, 0, 0)
    assert report["kinds"] == {
        "item": {"created": 5, "updated": 0, "unchanged": 0, "skipped": 0, "failed": 0}
    }
    assert [(n["item"], n["message"]) for n in report["notes"]] == [
        (5, "No title: titled from its text.")
    ]
    stored = _exported(client, editor_headers)
    assert _slugs(stored) == {
        "radio-podcast-3-7c1e": "episode",  # .../2024/03/15/episode/
        "radio-podcast-2-41aa": "episode-2",  # .../2024/03/08/episode/
        "https://radio.example.com/podcast/2024/03/01/episode/": "episode-3",  # no guid: link
        # No guid, no link: a hash of its content.
        "feed-item:d78a35546ff6970191f39f0313928af5": "anons",
        "radio-podcast-bonus-1": (
            "bonus-frahment-rozmovy-z-merom-pro-biudzhet-mista-na-nastupnyi-rik"
        ),
    }
    assert stored["radio-podcast-bonus-1"]["translations"][0]["title"] == (
        "Бонус: фрагмент розмови з мером про бюджет міста на наступний рік."
    )
    assert counts(import_file(client, editor_headers, FIXTURES / "podcast.rss", "rss")) == (
        0,
        0,
        5,
        0,
    )


def test_a_slug_held_by_an_article_of_another_feed_is_suffixed_not_refused(
    client: RecordingClient, editor_headers: dict[str, str], tmp_path: Path
) -> None:
    import_file(client, editor_headers, FIXTURES / "podcast.rss", "rss")
    other = tmp_path / "other.rss"
    other.write_text(
        (FIXTURES / "podcast.rss")
        .read_text()
        .replace("radio-podcast-", "tv-podcast-")
        .replace("radio.example.com", "tv.example.com")
    )

    report = import_file(client, editor_headers, other, "rss")

    # The item with neither guid nor link is known by its content: the same one.
    assert counts(report) == (4, 0, 1, 0)
    stored = _exported(client, editor_headers)
    assert [stored[f"tv-podcast-{n}"]["translations"][0]["slug"] for n in ("3-7c1e", "2-41aa")] == [
        "episode-4",
        "episode-5",
    ]
    # Re-importing both keeps every slug where it is.
    import_file(client, editor_headers, FIXTURES / "podcast.rss", "rss")
    import_file(client, editor_headers, other, "rss")
    assert _slugs(_exported(client, editor_headers)) == _slugs(stored)


def test_youtube_videos_are_titled_slugged_and_covered(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "youtube.atom", "atom", lang="en")

    assert counts(report) == (2, 0, 0, 0)
    assert report["kinds"]["entry"]["created"] == 2
    stored = _exported(client, editor_headers)
    assert _slugs(stored) == {
        "yt:video:Aa1Bb2Cc3Dd": "live-city-council-session",
        "yt:video:Ee4Ff5Gg6Hh": "live-city-council-session-2",
    }
    may = client.get("/v1/articles/live-city-council-session", params={"lang": "en"}).json()
    assert (may["lang"], may["excerpt"]) == ("en", "The May session of the city council, in full.")
    assert may["cover_image"]["url"] == "https://i2.ytimg.com/vi/Aa1Bb2Cc3Dd/hqdefault.jpg"
    assert may["canonical_url"] == "https://www.youtube.com/watch?v=Aa1Bb2Cc3Dd"


def test_json_feed_items_take_their_own_or_the_feeds_language(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = import_file(client, editor_headers, FIXTURES / "feed.json", "jsonfeed")

    assert counts(report) == (2, 0, 0, 0)
    english = client.get("/v1/articles/2024-05-06-water", params={"lang": "en"}).json()
    assert (english["lang"], english["title"]) == (
        "en",
        "Water supply restored in Pivnichna Saltivka",
    )
    assert english["tags"] == [
        {"slug": "utilities", "name": "utilities", "kind": "topic"},
        {"slug": "saltivka", "name": "Saltivka", "kind": "topic"},
    ]
    assert [a["name"] for a in english["authors"]] == ["Iryna Bondar"]
    ukrainian = client.get("/v1/articles/2024-05-06-water", params={"lang": "uk"}).json()
    assert ukrainian["title"] == "У Північній Салтівці відновили водопостачання"
    assert (
        ukrainian["body"] == "<p>Воду повернули у 140 будинків.</p><p>Роботи тривали дві доби.</p>"
    )


def test_a_declared_legacy_encoding_is_read_as_declared(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    assert counts(
        import_file(client, editor_headers, FIXTURES / "legacy-windows-1251.rss", "rss")
    ) == (1, 0, 0, 0)

    article = client.get("/v1/articles/miska-rada-zatverdyla-biudzhet-na-nastupnyi-rik").json()
    assert article["title"] == "Міська рада затвердила бюджет на наступний рік"
    assert article["excerpt"].startswith("Депутати проголосували за проект бюджету")


def test_an_undeclared_koi8_r_feed_is_detected_and_its_language_must_be_the_sites(
    client: RecordingClient, editor_headers: dict[str, str], settings: Settings
) -> None:
    koi8 = FIXTURES / "legacy-koi8r-undeclared.rss"
    assert b"encoding=" not in koi8.read_bytes()

    refused = client.post(
        "/v1/imports",
        content=koi8.read_bytes(),
        headers={**editor_headers, "Content-Type": "application/xml"},
        params={"format": "rss"},
    )

    # Its one item failed: nothing imported is a 422 that says why.
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "field": "items[1].translations[0].lang",
            "message": "item: 'ru' is not one of the site's languages (uk, en); add it to "
            "SITE_LANGUAGES to import it.",
        }
    ]
    settings.site_languages = ["uk", "en", "ru"]
    assert counts(import_file(client, editor_headers, koi8, "rss")) == (1, 0, 0, 0)
    line = _exported(client, editor_headers)[
        "http://vecherniy.example.kharkov.ua/news/2008/12/24/byudzhet.html"
    ]
    assert line["original_lang"] == "ru"
    assert [(t["title"], t["excerpt"][:32]) for t in line["translations"]] == [
        ("Горсовет утвердил бюджет на следующий год", "Депутаты проголосовали за проект")
    ]
