"""Two API processes against one database: no state pins a client to either of them."""

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.factories import make_article
from tests.processes import serving

FEED = "/v1/articles"


@pytest.fixture(scope="module")
def two_processes(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[httpx2.Client, httpx2.Client]]:
    logs = tmp_path_factory.mktemp("scale-out")
    with (
        serving(database_url, logs / "a.log") as url_a,
        serving(database_url, logs / "b.log") as url_b,
        httpx2.Client(base_url=url_a) as a,
        httpx2.Client(base_url=url_b) as b,
    ):
        yield a, b


def _feed(client: httpx2.Client, **headers: str) -> httpx2.Response:
    response = client.get(FEED, params={"lang": "uk"}, headers=headers)
    assert response.status_code in (200, 304), response.text
    return response


def _ids(response: httpx2.Response) -> list[Any]:
    return [item["id"] for item in response.json()["data"]]


def test_both_processes_serve_the_same_answers(
    two_processes: tuple[httpx2.Client, httpx2.Client], editor_headers: dict[str, str]
) -> None:
    a, b = two_processes
    first = make_article(a, editor_headers, title="Перша")
    from_a, from_b = _feed(a), _feed(b)
    assert _ids(from_a) == _ids(from_b) == [first["id"]]
    assert from_a.content == from_b.content
    assert from_a.headers["etag"] == from_b.headers["etag"]
    # An ETag one process gave is current at the other.
    again = _feed(b, **{"If-None-Match": from_a.headers["etag"]})
    assert again.status_code == 304


def test_a_write_through_one_is_visible_through_the_other_on_the_next_request(
    two_processes: tuple[httpx2.Client, httpx2.Client], editor_headers: dict[str, str]
) -> None:
    a, b = two_processes
    older = make_article(a, editor_headers, title="Старіша")
    cached = _feed(b)  # B now holds the feed in its response cache
    assert _ids(cached) == [older["id"]]

    newer = make_article(a, editor_headers, title="Новіша")
    after_publish = _feed(b, **{"If-None-Match": cached.headers["etag"]})
    assert after_publish.status_code == 200
    assert _ids(after_publish) == [newer["id"], older["id"]]

    unpublished = b.post(f"/v1/editor/articles/{newer['id']}/unpublish", headers=editor_headers)
    assert unpublished.status_code == 200, unpublished.text
    assert _ids(_feed(a)) == [older["id"]]
    slug = newer["translations"][0]["slug"]
    assert a.get(f"{FEED}/{slug}").status_code == 404
