"""Bylines in RSS (dc:creator), Atom (<author><name>) and JSON Feed (`authors`), and the
per-author syndication feeds."""

from xml.etree import ElementTree

import feedparser
import pytest

from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_author

DC = "http://purl.org/dc/elements/1.1/"


@pytest.fixture
def bylines(client: RecordingClient, editor_headers: dict[str, str]) -> dict[str, str]:
    make_author(
        client,
        editor_headers,
        "olena",
        names={"uk": "Олена Петренко", "en": "Olena Petrenko"},
        photo_url="https://img.example/olena.jpg",
        links=["https://x.example/olena"],
    )
    make_author(client, editor_headers, "andrii", names={"uk": "Андрій"})
    both = make_article(
        client,
        editor_headers,
        title="Спільний",
        authors=["olena", "andrii"],
        published_at=hours_ago(2),
    )
    solo = make_article(client, editor_headers, title="Сам", authors=["andrii"])
    make_article(client, editor_headers, title="Чернетка Олени", authors=["olena"], status="draft")
    return {"both": both["id"], "solo": solo["id"]}


def test_rss_names_authors_in_dc_creator(client: RecordingClient, bylines: dict[str, str]) -> None:
    response = client.get("/v1/feeds/en.rss")
    assert response.status_code == 200
    assert 'xmlns:dc="http://purl.org/dc/elements/1.1/"' in response.text
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0
    items = ElementTree.fromstring(response.content).iter("item")
    # Ukrainian articles (no English version), so Ukrainian names too (issue 20).
    assert [[c.text for c in item.iter(f"{{{DC}}}creator")] for item in items] == [
        ["Андрій"],
        ["Олена Петренко", "Андрій"],
    ]
    assert response.text.count("<dc:creator>") == 3
    assert "<author>" not in response.text  # RSS's <author> is an email address


def test_atom_and_json_feed_carry_bylines(client: RecordingClient, bylines: dict[str, str]) -> None:
    atom = feedparser.parse(client.get("/v1/feeds/uk.atom").content)
    assert atom.bozo == 0
    assert [[a["name"] for a in entry.authors] for entry in atom.entries] == [
        ["Андрій"],
        ["Олена Петренко", "Андрій"],
    ]
    feed = client.get("/v1/feeds/en.json").json()
    assert [item.get("authors") for item in feed["items"]] == [
        [{"name": "Андрій"}],
        [
            {
                "name": "Олена Петренко",  # the item is Ukrainian, so is its byline
                "url": "https://x.example/olena",
                "avatar": "https://img.example/olena.jpg",
            },
            {"name": "Андрій"},
        ],
    ]


@pytest.mark.parametrize("kind", ["author", "authors"])
def test_an_author_feed_carries_only_their_public_articles(
    client: RecordingClient, bylines: dict[str, str], kind: str
) -> None:
    for fmt in ("rss", "atom"):
        response = client.get(f"/v1/feeds/uk/{kind}/olena.{fmt}")
        assert response.status_code == 200, response.text
        parsed = feedparser.parse(response.content)
        assert parsed.feed.title == "Dopys: Олена Петренко"
        assert [entry.title for entry in parsed.entries] == ["Спільний"]
    feed = client.get(f"/v1/feeds/en/{kind}/andrii.json").json()
    assert [item["id"] for item in feed["items"]] == [
        f"urn:uuid:{bylines['solo']}",
        f"urn:uuid:{bylines['both']}",
    ]
    assert feed["feed_url"] == "http://testserver/v1/feeds/en/authors/andrii.json"
