"""Authors: a resource like tags (public reads, editor writes), ordered bylines on articles,
the `?author=` filter on the feed and search, and what an author change does to caches."""

from datetime import UTC, datetime, timedelta

from tests.conftest import RecordingClient
from tests.factories import feed_ids, hours_ago, make_article, make_author, make_tag

OLENA = {
    "slug": "olena",
    "names": {"uk": "Олена Петренко", "en": "Olena Petrenko"},
    "bios": {"uk": "Кореспондентка у Києві."},
    "photo_url": "https://img.example/olena.jpg",
    "links": ["https://x.example/olena", "https://mastodon.example/@olena"],
}


def test_authors_are_created_listed_localized_and_paginated(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    created = client.post("/v1/editor/authors", json=OLENA, headers=editor_headers)
    assert created.status_code == 201, created.text
    assert created.json() == {
        "slug": "olena",
        "name": "Олена Петренко",
        "names": {"en": "Olena Petrenko", "uk": "Олена Петренко"},
        "articles_url": "/v1/articles?author=olena",
        "bio": "Кореспондентка у Києві.",
        "bios": {"uk": "Кореспондентка у Києві."},
        "photo_url": "https://img.example/olena.jpg",
        "links": ["https://x.example/olena", "https://mastodon.example/@olena"],
    }
    make_author(client, editor_headers, "andrii", names={"uk": "Андрій"})
    make_author(client, editor_headers, "zoya", names={"en": "Zoya"})

    first = client.get("/v1/authors", params={"limit": 2, "lang": "en"})
    assert first.status_code == 200
    assert [(a["slug"], a["name"], a["bio"]) for a in first.json()["data"]] == [
        ("andrii", "Андрій", ""),  # no English name: the site's language
        ("olena", "Olena Petrenko", "Кореспондентка у Києві."),  # bio falls back too
    ]
    cursor = first.json()["meta"]["next_cursor"]
    rest = client.get("/v1/authors", params={"limit": 2, "cursor": cursor})
    assert [a["slug"] for a in rest.json()["data"]] == ["zoya"]
    assert rest.json()["meta"] == {"next_cursor": None, "limit": 2}
    one = client.get("/v1/authors/olena", params={"lang": "en"})
    assert (one.json()["name"], one.headers["content-language"]) == ("Olena Petrenko", "en")
    missing = client.get("/v1/authors/nobody")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "No author has the slug 'nobody'."


def test_author_writes_are_checked(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    make_author(client, editor_headers, "olena")
    again = client.post("/v1/editor/authors", json=OLENA, headers=editor_headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    bad = [
        ({"slug": "x", "names": {"en": "X"}, "bios": {"uk": "Біо"}}, "bios.uk"),
        ({"slug": "x", "names": {"en": "X"}, "photo_url": "javascript:alert(1)"}, "photo_url"),
        ({"slug": "x", "names": {"en": "X"}, "links": ["ftp://x.example/"]}, "links[0]"),
        ({"slug": "x", "names": {}}, "names"),
        ({"slug": "Not A Slug", "names": {"en": "X"}}, "slug"),
    ]
    for payload, field in bad:
        response = client.post("/v1/editor/authors", json=payload, headers=editor_headers)
        assert response.status_code == 422, payload
        assert response.headers["content-type"] == "application/problem+json"
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    unnamed = client.patch(
        "/v1/editor/authors/olena", json={"bios": {"uk": "Біо"}}, headers=editor_headers
    )
    assert unnamed.status_code == 422
    assert client.post("/v1/editor/authors", json=OLENA).status_code == 401
    assert client.delete("/v1/editor/authors/nobody", headers=editor_headers).status_code == 404


def test_articles_carry_ordered_localized_bylines(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    client.post("/v1/editor/authors", json=OLENA, headers=editor_headers)
    make_author(client, editor_headers, "andrii", names={"uk": "Андрій", "en": "Andrii"})
    both = [{"lang": "uk", "title": "Репортаж"}, {"lang": "en", "title": "Report"}]
    article = make_article(client, editor_headers, authors=["andrii", "olena"], translations=both)
    assert article["authors"] == ["andrii", "olena"]

    # Its English version, named in English; a bio with no English falls back as a body
    # would, to the original's (issue 20).
    item = client.get("/v1/articles", params={"lang": "en"}).json()["data"][0]
    assert item["lang"] == "en"
    assert item["authors"] == [
        {"slug": "andrii", "name": "Andrii", "bio": "", "photo_url": None, "links": []},
        {
            "slug": "olena",
            "name": "Olena Petrenko",
            "bio": "Кореспондентка у Києві.",
            "photo_url": "https://img.example/olena.jpg",
            "links": ["https://x.example/olena", "https://mastodon.example/@olena"],
        },
    ]
    slug = item["slug"]
    read = client.get(f"/v1/articles/{slug}", params={"lang": "uk"}).json()
    assert [(a["slug"], a["name"]) for a in read["authors"]] == [
        ("andrii", "Андрій"),
        ("olena", "Олена Петренко"),
    ]
    reordered = client.patch(
        f"/v1/editor/articles/{article['id']}", json={"authors": ["olena"]}, headers=editor_headers
    )
    assert reordered.json()["authors"] == ["olena"]
    fields = client.get("/v1/articles", params={"fields": "id,authors"}).json()["data"][0]
    assert set(fields) == {"id", "authors"}
    assert [a["slug"] for a in fields["authors"]] == ["olena"]


def test_unknown_or_repeated_authors_on_an_article_are_422(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_author(client, editor_headers, "olena")
    for authors, field in ((["nobody"], "authors[0]"), (["olena", "olena"], "authors")):
        payload = {
            "original_lang": "uk",
            "authors": authors,
            "translations": [{"lang": "uk", "title": "Т"}],
        }
        response = client.post("/v1/editor/articles", json=payload, headers=editor_headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_the_author_filter_shows_only_their_public_articles(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_author(client, editor_headers, "olena")
    make_author(client, editor_headers, "andrii")
    older = make_article(client, editor_headers, authors=["olena"], published_at=hours_ago(3))
    shared = make_article(
        client, editor_headers, authors=["andrii", "olena"], published_at=hours_ago(2)
    )
    make_article(client, editor_headers, authors=["andrii"])
    make_article(client, editor_headers, authors=["olena"], status="draft")
    make_article(
        client,
        editor_headers,
        authors=["olena"],
        published_at=datetime.now(UTC) + timedelta(days=1),  # scheduled
    )
    make_article(
        client, editor_headers, authors=["olena"], status="archived", published_at=hours_ago(5)
    )

    assert feed_ids(client, author="olena") == [shared["id"], older["id"]]
    page = client.get("/v1/articles", params={"author": "olena", "limit": 1}).json()
    assert [i["id"] for i in page["data"]] == [shared["id"]]
    cursor = page["meta"]["next_cursor"]
    rest = client.get("/v1/articles", params={"author": "olena", "limit": 1, "cursor": cursor})
    assert [i["id"] for i in rest.json()["data"]] == [older["id"]]
    other = client.get("/v1/articles", params={"author": "andrii", "cursor": cursor})
    assert other.status_code == 400  # a cursor holds to the filters it was made under
    unknown = client.get("/v1/articles", params={"author": "nobody"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def test_search_takes_the_author_filter(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_author(client, editor_headers, "olena")
    mine = make_article(client, editor_headers, title="Енергетика міста", authors=["olena"])
    make_article(client, editor_headers, title="Енергетика села")
    make_article(
        client, editor_headers, title="Енергетика чернетки", authors=["olena"], status="draft"
    )
    found = client.get("/v1/search", params={"q": "енергетика", "author": "olena"})
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["data"]] == [mine["id"]]


def test_an_author_edit_is_a_change_for_caches_and_sync(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_author(client, editor_headers, "olena", names={"uk": "Олена"})
    article = make_article(client, editor_headers, authors=["olena"])
    slug = client.get("/v1/articles").json()["data"][0]["slug"]
    url = f"/v1/articles/{slug}"
    etag = client.get(url).headers["etag"]
    first = client.get("/v1/sync").json()
    token = first["meta"]["next_sync_token"]

    renamed = client.patch(
        "/v1/editor/authors/olena",
        json={"names": {"uk": "Олена Петренко"}},
        headers=editor_headers,
    )
    assert renamed.status_code == 200, renamed.text

    fresh = client.get(url, headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert fresh.json()["authors"][0]["name"] == "Олена Петренко"
    synced = client.get("/v1/sync", params={"token": token}).json()
    assert [(i["id"], i["authors"][0]["name"]) for i in synced["data"]] == [
        (article["id"], "Олена Петренко")
    ]

    token = synced["meta"]["next_sync_token"]
    gone = client.delete("/v1/editor/authors/olena", headers=editor_headers)
    assert gone.status_code == 204
    assert client.get(url).json()["authors"] == []
    synced = client.get("/v1/sync", params={"token": token}).json()
    assert [(i["id"], i["authors"]) for i in synced["data"]] == [(article["id"], [])]
    assert client.get("/v1/articles", params={"author": "olena"}).status_code == 404


def test_author_and_featured_edits_of_an_article_reach_sync(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_author(client, editor_headers, "olena")
    make_tag(client, editor_headers, "news")
    article = make_article(client, editor_headers, tags=["news"])
    token = client.get("/v1/sync").json()["meta"]["next_sync_token"]
    for change in ({"authors": ["olena"]}, {"featured": True}):
        edited = client.patch(
            f"/v1/editor/articles/{article['id']}", json=change, headers=editor_headers
        )
        assert edited.status_code == 200, edited.text
        synced = client.get("/v1/sync", params={"token": token}).json()
        assert [i["id"] for i in synced["data"]] == [article["id"]]
        token = synced["meta"]["next_sync_token"]
    item = client.get("/v1/articles").json()["data"][0]
    assert (item["featured"], [a["slug"] for a in item["authors"]]) == (True, ["olena"])
    # a tag turned into a section: every item carrying it shows that, so it is a change
    kind = client.patch("/v1/editor/tags/news", json={"kind": "section"}, headers=editor_headers)
    assert kind.json()["kind"] == "section"
    synced = client.get("/v1/sync", params={"token": token}).json()
    assert [(i["id"], i["tags"][0]["kind"]) for i in synced["data"]] == [(article["id"], "section")]
