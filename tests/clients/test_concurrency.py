"""Optimistic concurrency: two editors who read the same version never overwrite each other."""

import threading
from typing import Any

from tests.conftest import RecordingClient
from tests.factories import make_article

ROUNDS = 4
EDITORS = 3


def _race(
    client: RecordingClient, headers: dict[str, str], article_id: str, etag: str, round_: int
) -> list[tuple[int, int, str]]:
    """EDITORS threads PATCH the article at once, each with the same If-Match."""
    barrier = threading.Barrier(EDITORS)
    results: list[tuple[int, int, str]] = []

    def edit(editor: int) -> None:
        barrier.wait()
        response = client.patch(
            f"/v1/editor/articles/{article_id}",
            json={"cover_image_url": f"https://img.example/{round_}/{editor}.jpg"},
            headers={**headers, "If-Match": etag},
        )
        results.append((editor, response.status_code, response.headers.get("etag", "")))

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(EDITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_if_match_updates_exactly_one_wins(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """Acceptance 3, on each database: real threads, real transactions."""
    article: dict[str, Any] = make_article(client, editor_headers)
    url = f"/v1/editor/articles/{article['id']}"
    etag = client.get(url, headers=editor_headers).headers["etag"]
    assert etag == '"1"'
    for round_ in range(ROUNDS):
        results = _race(client, editor_headers, article["id"], etag, round_)
        statuses = sorted(status for _, status, _ in results)
        assert statuses == [200] + [412] * (EDITORS - 1), results
        (winner, _, new_etag) = next(r for r in results if r[1] == 200)
        assert new_etag == f'"{round_ + 2}"'
        stored = client.get(url, headers=editor_headers)
        assert stored.headers["etag"] == new_etag
        assert stored.json()["cover_image"]["url"] == f"https://img.example/{round_}/{winner}.jpg"
        etag = new_etag


def test_a_stale_if_match_is_412_with_a_problem_and_changes_nothing(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, title="Оригінал")
    url = f"/v1/editor/articles/{article['id']}"
    assert (
        client.patch(url, json={}, headers={**editor_headers, "If-Match": '"1"'}).status_code == 200
    )
    for method, path, body in (
        ("PATCH", url, {"cover_image_url": "https://img.example/x.jpg"}),
        ("PUT", f"{url}/translations/uk", {"title": "Перезапис"}),
        ("DELETE", url, None),
    ):
        response = client.request(
            method, path, json=body, headers={**editor_headers, "If-Match": '"1"'}
        )
        assert response.status_code == 412, method
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == (
            "The article changed since you read it (now version 2); "
            "fetch it again and reapply your change."
        )
    stored = client.get(url, headers=editor_headers).json()
    assert (stored["version"], stored["cover_image"]) == (2, None)
    assert stored["translations"][0]["title"] == "Оригінал"
