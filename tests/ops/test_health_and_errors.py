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
        "type": "https://dopys.dev/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "Not Found",
        "instance": "/v1/nothing-here",
    }
    wrong_method = client.put("/v1/articles")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    assert wrong_method.headers["allow"] == "GET, HEAD"
    assert wrong_method.json()["type"] == "https://dopys.dev/problems/http-405"


def test_every_404_has_one_problem_type(client: RecordingClient) -> None:
    """A route's NotFound and the router's unknown path are the same problem type."""
    for path in ("/v1/nothing-here", "/v1/articles/no-such-slug", "/v1/tags/nope"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["type"] == "https://dopys.dev/problems/not-found", path


def test_health_probes_are_public_with_documented_client_errors(client: RecordingClient) -> None:
    response = client.get("/healthz", params={"x": "\x00"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
