"""Tags and sources: localized, paginated, linked to their feeds, editable by editors."""

from tests.conftest import RecordingClient
from tests.factories import feed_ids, make_article, make_source, make_tag


def test_tags_are_localized_and_paginated(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news", uk="Новини", en="News")
    make_tag(client, editor_headers, "economy", uk="Економіка", en="Economy")
    make_tag(client, editor_headers, "sport", en="Sport")

    first = client.get("/v1/tags", params={"limit": 2})
    assert first.status_code == 200
    assert [(t["slug"], t["name"]) for t in first.json()["data"]] == [
        ("economy", "Економіка"),
        ("news", "Новини"),
    ]
    cursor = first.json()["meta"]["next_cursor"]
    rest = client.get(
        "/v1/tags", params={"limit": 2, "cursor": cursor}, headers={"Accept-Language": "en"}
    )
    assert rest.json() == {
        "data": [
            {
                "slug": "sport",
                "name": "Sport",
                "names": {"en": "Sport"},
                "articles_url": "/v1/articles?tag=sport",
                "kind": "topic",
                "parent": None,
            }
        ],
        "meta": {"next_cursor": None, "limit": 2},
    }
    assert client.get("/v1/tags/news", params={"lang": "en"}).json()["name"] == "News"
    assert client.get("/v1/tags/nope").status_code == 404


def test_a_tag_links_to_its_feed(client: RecordingClient, editor_headers: dict[str, str]) -> None:
    make_tag(client, editor_headers, "news")
    tagged = make_article(client, editor_headers, tags=["news"])
    make_article(client, editor_headers)
    url = client.get("/v1/tags/news").json()["articles_url"]
    assert [item["id"] for item in client.get(url).json()["data"]] == [tagged["id"]]


def test_sources_carry_kind_and_homepage(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/editor/sources",
        json={
            "slug": "isw",
            "names": {"en": "ISW"},
            "kind": "think_tank",
            "homepage_url": "https://www.understandingwar.org/",
        },
        headers=editor_headers,
    )
    assert response.status_code == 201
    cited = make_article(client, editor_headers, citations=[{"source": "isw"}])
    source = client.get("/v1/sources/isw").json()
    assert source == {
        "slug": "isw",
        "name": "ISW",
        "names": {"en": "ISW"},
        "kind": "think_tank",
        "homepage_url": "https://www.understandingwar.org/",
        "articles_url": "/v1/articles?source=isw",
    }
    assert feed_ids(client, source="isw") == [cited["id"]]
    assert [s["slug"] for s in client.get("/v1/sources").json()["data"]] == ["isw"]


def test_editors_update_names_and_duplicates_conflict(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news", en="News")
    assert (
        client.post(
            "/v1/editor/tags", json={"slug": "news", "names": {"en": "N"}}, headers=editor_headers
        ).status_code
        == 409
    )
    updated = client.patch(
        "/v1/editor/tags/news",
        json={"names": {"uk": "Новини", "en": "News"}},
        headers=editor_headers,
    )
    assert updated.status_code == 200
    assert updated.json()["names"] == {"en": "News", "uk": "Новини"}
    make_source(client, editor_headers, "isw", en="ISW")
    patched = client.patch(
        "/v1/editor/sources/isw", json={"kind": "think_tank"}, headers=editor_headers
    )
    assert (patched.json()["kind"], patched.json()["names"]) == ("think_tank", {"en": "ISW"})
    assert (
        client.patch(
            "/v1/editor/tags/nope", json={"names": {"en": "X"}}, headers=editor_headers
        ).status_code
        == 404
    )
    bad = client.post(
        "/v1/editor/tags", json={"slug": "Bad Slug", "names": {"en": "X"}}, headers=editor_headers
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["slug"]
