"""The editor write API: keys and scopes, validation, conflicts, slugs, sanitizing, lifecycle."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.core.db import unit_of_work
from app.keys.service import list_keys, revoke_key
from tests.conftest import RecordingClient
from tests.factories import feed_ids, iso, make_article, make_source, make_tag

MINIMAL = {"original_lang": "uk", "translations": [{"lang": "uk", "title": "Заголовок"}]}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_writes_need_a_write_key(
    client: RecordingClient, reader_headers: dict[str, str], editor_headers: dict[str, str]
) -> None:
    missing = _problem(client.post("/v1/editor/articles", json=MINIMAL), 401)
    assert missing["detail"] == "Send an API key as `Authorization: Bearer <key>`."
    wrong = {"Authorization": "Bearer dps_not-a-real-key"}
    assert _problem(client.post("/v1/editor/articles", json=MINIMAL, headers=wrong), 401)
    read_only = _problem(
        client.post("/v1/editor/articles", json=MINIMAL, headers=reader_headers), 403
    )
    assert read_only["detail"] == "This API key has scope 'read'; 'write' is needed."
    assert (
        client.post("/v1/editor/articles", json=MINIMAL, headers=editor_headers).status_code == 201
    )


def test_a_revoked_key_stops_working_on_the_next_request(
    client: RecordingClient, sessions: sessionmaker[Session], editor_headers: dict[str, str]
) -> None:
    assert (
        client.post("/v1/editor/articles", json=MINIMAL, headers=editor_headers).status_code == 201
    )
    with unit_of_work(sessions) as session:
        for key in list_keys(session):
            revoke_key(session, key.id)
    _problem(client.post("/v1/editor/articles", json=MINIMAL, headers=editor_headers), 401)


def test_validation_errors_name_the_field(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"original_lang": "uk", "translations": [{"lang": "uk"}]}, "translations[0].title"),
        ({"original_lang": "uk", "translations": []}, "translations"),
        ({**MINIMAL, "published_at": "2024-07-01T10:00:00"}, "published_at"),  # no offset
        ({**MINIMAL, "status": "live"}, "status"),
        ({**MINIMAL, "surprise": 1}, "surprise"),
        ({**MINIMAL, "cover_image_url": "javascript:alert(1)"}, "cover_image_url"),
        ({**MINIMAL, "original_lang": "en"}, "original_lang"),
        ({**MINIMAL, "tags": ["no-such-tag"]}, "tags[0]"),
        ({**MINIMAL, "citations": [{"source": "nobody"}]}, "citations[0].source"),
    ]
    for payload, field in cases:
        body = _problem(
            client.post("/v1/editor/articles", json=payload, headers=editor_headers), 422
        )
        assert field in [e["field"] for e in body["errors"]], (payload, body)
    assert feed_ids(client) == []


def test_malformed_json_is_a_422_problem(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    response = client.post(
        "/v1/editor/articles",
        content=b'{"original_lang": "uk",',
        headers={**editor_headers, "Content-Type": "application/json"},
    )
    _problem(response, 422)


def test_slugs_come_from_titles_and_stay_unique_per_language(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    title = "Північна Корея відправить інженерні війська"
    first = make_article(client, editor_headers, title=title)
    second = make_article(client, editor_headers, title=title)
    english = make_article(
        client,
        editor_headers,
        lang="en",
        translations=[{"lang": "en", "title": "Pivnichna Koreia"}],
    )
    assert first["translations"][0]["slug"] == "pivnichna-koreia-vidpravyt-inzhenerni-viiska"
    assert second["translations"][0]["slug"] == "pivnichna-koreia-vidpravyt-inzhenerni-viiska-2"
    assert english["translations"][0]["slug"] == "pivnichna-koreia"


def test_duplicate_slug_or_external_id_is_a_409_and_keeps_the_original(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    original = make_article(
        client,
        editor_headers,
        external_id="wire-1",
        translations=[{"lang": "uk", "title": "Перша", "slug": "persha"}],
    )
    clash_slug = {
        "original_lang": "uk",
        "translations": [{"lang": "uk", "title": "Інша", "slug": "persha"}],
    }
    clash_id = {**MINIMAL, "external_id": "wire-1"}
    for payload in (clash_slug, clash_id):
        _problem(client.post("/v1/editor/articles", json=payload, headers=editor_headers), 409)
    assert feed_ids(client) == [original["id"]]
    assert client.get("/v1/articles/persha").json()["title"] == "Перша"


def test_unsafe_html_is_stripped_on_write(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    body = (
        '<p onclick="steal()">Текст<script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">лінк</a><img src="x.png" onerror="alert(1)">'
        '<a href="https://example.com/">ok</a>'
    )
    article = make_article(client, editor_headers, title="Безпечна", body=body)
    stored = client.get(f"/v1/articles/{article['translations'][0]['slug']}").json()["body"]
    assert stored == (
        '<p>Текст</p><a rel="noopener noreferrer">лінк</a><img src="x.png">'
        '<a href="https://example.com/" rel="noopener noreferrer">ok</a>'
    )


def test_partial_update_changes_only_what_is_sent(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_tag(client, editor_headers, "news")
    make_tag(client, editor_headers, "war")
    article = make_article(
        client, editor_headers, tags=["news"], cover_image_url="https://img.example/a.jpg"
    )
    url = f"/v1/editor/articles/{article['id']}"

    response = client.patch(url, json={"tags": ["war", "news"]}, headers=editor_headers)

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["tags"] == ["war", "news"]
    assert updated["cover_image"]["url"] == "https://img.example/a.jpg"
    assert updated["version"] == article["version"] + 1
    assert response.headers["etag"] == f'"{updated["version"]}"'
    public = client.get("/v1/articles").json()["data"][0]
    assert public["primary_tag"]["slug"] == "war"


def test_if_match_with_a_stale_version_is_412_and_changes_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers)
    url = f"/v1/editor/articles/{article['id']}"
    stale = {**editor_headers, "If-Match": f'"{article["version"]}"'}
    assert (
        client.patch(
            url, json={"cover_image_url": "https://a.example/1.jpg"}, headers=stale
        ).status_code
        == 200
    )
    _problem(
        client.patch(url, json={"cover_image_url": "https://a.example/2.jpg"}, headers=stale), 412
    )
    assert (
        client.get(url, headers=editor_headers).json()["cover_image"]["url"]
        == "https://a.example/1.jpg"
    )
    _problem(client.patch(url, json={}, headers={**editor_headers, "If-Match": "nonsense"}), 400)


def test_translations_can_be_added_replaced_and_removed(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Оригінал")
    url = f"/v1/editor/articles/{article['id']}/translations/en"
    created = client.put(
        url, json={"title": "Original", "body": "<p>Text</p>"}, headers=editor_headers
    )
    assert created.status_code == 201
    assert [t["lang"] for t in created.json()["translations"]] == ["en", "uk"]
    replaced = client.put(url, json={"title": "Original, revised"}, headers=editor_headers)
    assert replaced.status_code == 200
    english = next(t for t in replaced.json()["translations"] if t["lang"] == "en")
    assert (english["title"], english["slug"], english["body"]) == (
        "Original, revised",
        "original-revised",
        "",
    )
    assert client.get("/v1/articles/original-revised").json()["lang"] == "en"

    assert client.delete(url, headers=editor_headers).status_code == 200
    assert client.get("/v1/articles/original-revised").status_code == 404
    original = f"/v1/editor/articles/{article['id']}/translations/uk"
    _problem(client.delete(original, headers=editor_headers), 409)


def test_publish_unpublish_schedule_and_delete(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, status="draft", title="Життєвий цикл")
    base = f"/v1/editor/articles/{article['id']}"
    slug = article["translations"][0]["slug"]
    assert article["state"] == "draft"
    assert client.get(f"/v1/articles/{slug}").status_code == 404

    published = client.post(f"{base}/publish", headers=editor_headers).json()
    assert published["state"] == "published"
    assert feed_ids(client) == [article["id"]]

    assert client.post(f"{base}/unpublish", headers=editor_headers).json()["state"] == "draft"
    assert feed_ids(client) == []

    future = datetime.now(UTC) + timedelta(hours=2)
    scheduled = client.post(
        f"{base}/schedule", json={"published_at": iso(future)}, headers=editor_headers
    )
    assert scheduled.json()["state"] == "scheduled"
    assert feed_ids(client) == []
    past = iso(datetime.now(UTC) - timedelta(hours=2))
    _problem(
        client.post(f"{base}/schedule", json={"published_at": past}, headers=editor_headers), 422
    )

    assert (
        client.post(
            f"{base}/publish", json={"published_at": past}, headers=editor_headers
        ).status_code
        == 200
    )
    assert feed_ids(client) == [article["id"]]
    assert client.delete(base, headers=editor_headers).status_code == 204
    assert feed_ids(client) == []
    _problem(client.get(base, headers=editor_headers), 404)
    _problem(client.delete(base, headers=editor_headers), 404)


def test_citations_record_who_cited_whom(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    make_source(client, editor_headers, "isw", "think_tank", en="ISW")
    make_source(client, editor_headers, "tv-chosun", "broadcaster", en="TV Chosun")
    citations = [
        {"source": "isw", "url": "https://isw.example/r"},
        {"source": "tv-chosun", "via": 0},
    ]
    article = make_article(
        client, editor_headers, lang="en", title="Engineers", citations=citations
    )
    assert article["citations"] == [
        {"position": 0, "source": "isw", "url": "https://isw.example/r", "via": None},
        {"position": 1, "source": "tv-chosun", "url": None, "via": 0},
    ]
    bad = [{"source": "isw", "via": 0}]
    response = client.patch(
        f"/v1/editor/articles/{article['id']}", json={"citations": bad}, headers=editor_headers
    )
    assert [e["field"] for e in _problem(response, 422)["errors"]] == ["citations[0].via"]
