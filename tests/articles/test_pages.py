"""Static pages: served at /v1/pages, never in the article feed, article reads, search, sync
or syndication feeds unless asked for with `type=page`."""

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import RecordingClient
from tests.factories import hours_ago, make_article, make_tag, walk_feed
from tests.imports.helpers import article_line, ndjson, post_import
from tests.reliability.conftest import bearer, new_key, reset_database

ABOUT = [
    {"lang": "uk", "title": "Про нас", "slug": "pro-nas", "body": "<p>Редакція Допису.</p>"},
    {"lang": "en", "title": "About us", "slug": "about", "body": "<p>The Dopys newsroom.</p>"},
]


def _page(client: RecordingClient, headers: dict[str, str], **extra: Any) -> dict[str, Any]:
    return make_article(client, headers, type="page", translations=ABOUT, **extra)


def test_a_page_is_served_at_pages_in_the_readers_language(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    page = _page(client, editor_headers)
    assert page["type"] == "page"
    article = make_article(client, editor_headers, title="Новина дня")

    listing = client.get("/v1/pages", params={"lang": "en"})
    assert listing.status_code == 200, listing.text
    assert [(i["id"], i["lang"], i["slug"]) for i in listing.json()["data"]] == [
        (page["id"], "en", "about")
    ]
    # The slug names the version, as for articles; an explicit lang= picks that translation.
    by_en_slug = client.get("/v1/pages/about", headers={"Accept-Language": "uk"})
    assert by_en_slug.status_code == 200
    assert (by_en_slug.json()["lang"], by_en_slug.json()["title"]) == ("en", "About us")
    uk = client.get("/v1/pages/about", params={"lang": "uk"})
    assert (uk.json()["lang"], uk.json()["title"]) == ("uk", "Про нас")
    by_uk_slug = client.get("/v1/pages/pro-nas")
    assert (by_uk_slug.json()["title"], by_uk_slug.headers["content-language"]) == (
        "Про нас",
        "uk",
    )
    assert by_uk_slug.json()["body"] == "<p>Редакція Допису.</p>"
    # Neither serves the other.
    assert client.get("/v1/articles/pro-nas").status_code == 404
    assert client.get("/v1/pages/novyna-dnia").status_code == 404
    missing = client.get("/v1/pages/nope")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    assert missing.json()["detail"] == "No published page has the slug 'nope'."
    assert [i["id"] for i in client.get("/v1/articles").json()["data"]] == [article["id"]]


def test_pages_answer_conditional_requests_and_change_with_edits(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    page = _page(client, editor_headers)
    first = client.get("/v1/pages/about")
    listing = client.get("/v1/pages")
    for url, response in (("/v1/pages/about", first), ("/v1/pages", listing)):
        etag = response.headers["etag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    edited = client.put(
        f"/v1/editor/articles/{page['id']}/translations/en",
        json={"title": "About Dopys", "slug": "about", "body": "<p>New.</p>"},
        headers=editor_headers,
    )
    assert edited.status_code == 200, edited.text
    again = client.get("/v1/pages/about", headers={"If-None-Match": first.headers["etag"]})
    assert (again.status_code, again.json()["title"]) == (200, "About Dopys")


def test_unpublished_and_scheduled_pages_are_hidden(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_article(client, editor_headers, type="page", status="draft", title="Чернетка сторінки")
    make_article(client, editor_headers, type="page", title="Майбутня", published_at=hours_ago(-5))
    assert client.get("/v1/pages").json()["data"] == []
    assert client.get("/v1/pages/chernetka-storinky").status_code == 404
    assert client.get("/v1/pages/maibutnia").status_code == 404


def test_pages_stay_out_of_feed_search_sync_and_syndication_unless_asked(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news", uk="Новини")
    page = _page(client, editor_headers, tags=["news"])
    article = make_article(
        client, editor_headers, title="Про нас пишуть", tags=["news"], body="<p>Редакція.</p>"
    )

    def ids(url: str, **params: Any) -> list[str]:
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]]

    assert ids("/v1/articles") == [article["id"]]
    assert ids("/v1/articles", tag="news") == [article["id"]]
    assert ids("/v1/articles", type="page") == [page["id"]]
    assert ids("/v1/articles", type="article") == [article["id"]]
    assert ids("/v1/search", q="редакція") == [article["id"]]
    assert ids("/v1/search", q="редакція", type="page") == [page["id"]]
    assert ids("/v1/sync") == [article["id"]]
    for path in ("/v1/feeds/uk", "/v1/feeds/en", "/v1/feeds/uk/tags/news"):
        for fmt in ("rss", "atom", "json"):
            text = client.get(f"{path}.{fmt}").text
            assert page["id"] not in text and article["id"] in text, (path, fmt)
    bad = client.get("/v1/articles", params={"type": "post"})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["type"]


def test_a_page_cursor_does_not_walk_the_article_feed(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    for n in range(3):
        make_article(client, editor_headers, type="page", title=f"Сторінка {n}")
    page = client.get("/v1/articles", params={"type": "page", "limit": 1}).json()
    cursor = page["meta"]["next_cursor"]
    assert client.get("/v1/articles", params={"cursor": cursor}).status_code == 400
    walked = client.get("/v1/pages", params={"limit": 2}).json()
    assert len(walked["data"]) == 2
    rest = client.get("/v1/pages", params={"limit": 2, "cursor": walked["meta"]["next_cursor"]})
    assert len(rest.json()["data"]) == 1


def test_type_is_set_on_create_only_and_exported(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    page = _page(client, editor_headers)
    url = f"/v1/editor/articles/{page['id']}"
    response = client.patch(url, json={"type": "article"}, headers=editor_headers)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["type"]
    assert client.get(url, headers=editor_headers).json()["type"] == "page"
    _header, line, _trailer = client.get("/v1/exports", headers=editor_headers).text.splitlines()
    assert json.loads(line)["type"] == "page"


@given(kinds=st.lists(st.sampled_from(["article", "page"]), min_size=1, max_size=8))
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_page_never_appears_in_the_feed(
    client: RecordingClient, db: Engine, sessions: sessionmaker[Session], kinds: list[str]
) -> None:
    reset_database(db)
    headers = bearer(new_key(sessions))
    made: dict[str, set[str]] = {"article": set(), "page": set()}
    for n, kind in enumerate(kinds):
        created = make_article(
            client, headers, type=kind, title=f"Допис {n}", published_at=hours_ago(n + 1)
        )
        made[kind].add(created["id"])
    for limit in (1, 3, 100):
        assert set(walk_feed(client, limit)) == made["article"]
        assert set(walk_feed(client, limit, type="page")) == made["page"]
    assert {i["id"] for i in client.get("/v1/sync").json()["data"]} == made["article"]
    listed = client.get("/v1/pages", params={"limit": 100}).json()["data"]
    assert {i["id"] for i in listed} == made["page"]


def test_unpublishing_or_deleting_a_page_tells_sync_clients_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    token = client.get("/v1/sync").json()["meta"]["next_sync_token"]
    page = _page(client, editor_headers)
    url = f"/v1/editor/articles/{page['id']}"
    assert client.post(f"{url}/unpublish", headers=editor_headers).status_code == 200
    assert client.post(f"{url}/publish", headers=editor_headers).status_code == 200
    assert client.delete(url, headers=editor_headers).status_code == 204
    delta = client.get("/v1/sync", params={"token": token}).json()
    assert (delta["data"], delta["deleted"]) == ([], [])


def test_an_import_can_make_pages_and_turning_an_article_into_one_drops_it_from_sync(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    report = post_import(client, editor_headers, ndjson([article_line(1), article_line(2)]))
    assert report["created"] == 2
    first = client.get("/v1/sync").json()
    assert len(first["data"]) == 2
    moved = article_line(1, type="page")
    assert post_import(client, editor_headers, ndjson([moved]))["updated"] == 1

    delta = client.get("/v1/sync", params={"token": first["meta"]["next_sync_token"]}).json()
    [page] = client.get("/v1/pages").json()["data"]
    assert delta["data"] == []
    assert [(d["id"], d["reason"]) for d in delta["deleted"]] == [(page["id"], "unpublished")]
    assert page["title"] == "Новина номер 1"
    assert [i["title"] for i in client.get("/v1/articles").json()["data"]] == ["Новина номер 2"]
