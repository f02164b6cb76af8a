"""Probes, and the problem+json shape of errors that no route raises itself."""

from tests.conftest import RecordingClient


def test_health_and_readiness(client: RecordingClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}


def test_unknown_routes_and_methods_are_problems(client: RecordingClient) -> None:
    missing = client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {
        "type": "https://dopys.dev/problems/http-404",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
        "instance": "/v1/nothing-here",
    }
    wrong_method = client.put("/v1/articles")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
