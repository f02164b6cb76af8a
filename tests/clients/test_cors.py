"""CORS for browser front ends: configured origins only, working preflight, readable
caching headers."""

from collections.abc import Iterator

import pytest

from app.core.config import Settings
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import make_article

FRONT = "https://front.example"


@pytest.fixture
def cors_client(settings: Settings, db: object) -> Iterator[RecordingClient]:
    app = create_app(settings.model_copy(update={"cors_origins": [FRONT]}))
    with RecordingClient(app) as client:
        yield client
        assert client.server_errors == []


def test_preflight_allows_the_configured_origin_and_conditional_headers(
    cors_client: RecordingClient,
) -> None:
    response = cors_client.options(
        "/v1/editor/articles/00000000-0000-0000-0000-000000000000",
        headers={
            "Origin": FRONT,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT
    assert response.headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE"
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert allowed >= {"authorization", "content-type", "if-match", "if-none-match"}
    assert response.headers["access-control-max-age"] == "600"


def test_preflight_from_another_origin_is_refused(cors_client: RecordingClient) -> None:
    response = cors_client.options(
        "/v1/articles",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["vary"].split(", ") == [
        "Origin",
        "Access-Control-Request-Method",
        "Access-Control-Request-Headers",
        "Access-Control-Request-Private-Network",
    ]
    assert response.json() == {
        "type": "https://dopys.dev/problems/bad-request",
        "title": "CORS preflight refused",
        "status": 400,
        "detail": "Not allowed by CORS: origin.",
    }
    method = cors_client.options(
        "/v1/articles", headers={"Origin": FRONT, "Access-Control-Request-Method": "TRACE"}
    )
    assert method.status_code == 400
    assert method.json()["detail"] == "Not allowed by CORS: method."


def test_responses_vary_by_origin_even_to_requests_without_one(
    cors_client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    """A shared cache must not hand the copy made for a request without Origin (no CORS
    headers) to a browser: with CORS on, every response names Origin in Vary, once."""
    make_article(cors_client, editor_headers, title="Один")
    both = "Accept-Language, Accept-Encoding, Origin"
    miss = cors_client.get("/v1/articles")  # rendered by the route
    assert miss.status_code == 200
    assert miss.headers["vary"] == both
    assert "access-control-allow-origin" not in miss.headers
    hit = cors_client.get("/v1/articles")  # answered by the response cache's front door
    assert hit.headers["vary"] == both
    not_modified = cors_client.get("/v1/articles", headers={"If-None-Match": hit.headers["etag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["vary"] == both
    with_origin = cors_client.get("/v1/articles", headers={"Origin": FRONT})
    assert with_origin.headers["vary"] == both
    assert with_origin.headers["access-control-allow-origin"] == FRONT
    missing = cors_client.get("/v1/articles/nope")
    assert missing.status_code == 404
    assert "Origin" in missing.headers["vary"].split(", ")
    assert cors_client.get("/healthz").headers["vary"] == "Origin"


def test_retry_after_is_readable_by_scripts(cors_client: RecordingClient) -> None:
    response = cors_client.get("/healthz", headers={"Origin": FRONT})
    exposed = {h.strip() for h in response.headers["access-control-expose-headers"].split(",")}
    assert "Retry-After" in exposed


def test_responses_expose_the_caching_and_paging_headers(
    cors_client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    for title in ("Один", "Два"):
        make_article(cors_client, editor_headers, title=title)
    first = cors_client.get("/v1/articles", params={"limit": 1}, headers={"Origin": FRONT})
    assert first.status_code == 200
    assert first.headers["access-control-allow-origin"] == FRONT
    exposed = {h.strip() for h in first.headers["access-control-expose-headers"].split(",")}
    assert exposed == {
        "ETag", "Last-Modified", "Link", "Content-Language", "Location", "Retry-After",
    }  # fmt: skip
    assert first.headers["vary"] == "Accept-Language, Accept-Encoding, Origin"
    # A 304 served from the response cache is decorated too.
    again = cors_client.get(
        "/v1/articles",
        params={"limit": 1},
        headers={"Origin": FRONT, "If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["access-control-allow-origin"] == FRONT
    other = cors_client.get("/v1/articles", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers


def test_no_cors_headers_unless_origins_are_configured(client: RecordingClient) -> None:
    response = client.get("/v1/articles", headers={"Origin": FRONT})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
    preflight = client.options(
        "/v1/articles", headers={"Origin": FRONT, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 405
