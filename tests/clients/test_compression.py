"""Brotli and gzip above a size threshold, chosen from Accept-Encoding, with per-coding
ETags on cached public responses."""

import gzip
from collections.abc import AsyncIterator
from typing import Any

import brotli
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from app.core.compression import CompressionMiddleware, negotiate
from tests.conftest import RecordingClient
from tests.factories import make_article


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("", "identity"),
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("br;q=0, gzip;q=0", "identity"),
        ("GZIP", "gzip"),
        ("*", "br"),
        ("*;q=0.1, br;q=0", "gzip"),
        ("deflate", "identity"),
        ("gzip;q=abc, br;q=", "identity"),
        ("identity", "identity"),
    ],
)
def test_negotiation_follows_q_values(accept_encoding: str, coding: str) -> None:
    assert negotiate(accept_encoding) == coding


def _decode(response: Any) -> bytes:
    """The raw body, decompressed by hand: the test client's own decoding is bypassed."""
    raw = b"".join(response.iter_raw())
    coding = response.headers.get("content-encoding")
    if coding == "br":
        return bytes(brotli.decompress(raw))
    if coding == "gzip":
        return gzip.decompress(raw)
    return raw


def test_public_responses_compress_with_an_etag_per_coding(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, body="<p>" + "Довгий текст. " * 300 + "</p>")
    url = f"/v1/articles/{article['translations'][0]['slug']}"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    identity_etag = plain.headers["etag"]
    for coding in ("br", "gzip"):
        with client.stream("GET", url, headers={"Accept-Encoding": coding}) as response:
            assert response.headers["content-encoding"] == coding
            body = _decode(response)
            assert int(response.headers["content-length"]) < len(plain.content) // 4
        assert body == plain.content
        assert response.headers["etag"] == identity_etag[:-1] + f'-{coding}"'
        assert response.headers["vary"] == "Accept-Language, Accept-Encoding"
        again = client.get(
            url,
            headers={"Accept-Encoding": coding, "If-None-Match": response.headers["etag"]},
        )
        assert again.status_code == 304
        # A validator of another coding is another representation.
        other = client.get(url, headers={"Accept-Encoding": coding, "If-None-Match": identity_etag})
        assert other.status_code == 200


def test_small_responses_are_not_compressed(client: RecordingClient) -> None:
    response = client.get("/v1/tags", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert len(response.content) < 1000
    assert "content-encoding" not in response.headers
    assert response.headers["etag"].endswith('"') and "-br" not in response.headers["etag"]


def test_editor_responses_compress_too(
    client: RecordingClient, editor_headers: dict[str, str]
) -> None:
    article = make_article(client, editor_headers, body="<p>" + "Текст статті. " * 200 + "</p>")
    with client.stream(
        "GET",
        f"/v1/editor/articles/{article['id']}",
        headers={**editor_headers, "Accept-Encoding": "gzip"},
    ) as response:
        assert response.headers["content-encoding"] == "gzip"
        assert response.headers["vary"] == "Accept-Encoding"
        assert b"\xd0\xa2\xd0\xb5\xd0\xba\xd1\x81\xd1\x82" in _decode(response)  # "Текст"


# ---- the middleware on its own ----------------------------------------------------------

TEXT = "Свіжі дописи. " * 200


async def _whole(request: Request) -> Response:
    return PlainTextResponse(TEXT)


async def _stream(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield TEXT.encode()

    return StreamingResponse(chunks(), media_type="text/plain")


async def _image(request: Request) -> Response:
    return Response(b"\x89PNG" + b"\x00" * 5000, media_type="image/png")


async def _encoded(request: Request) -> Response:
    return Response(gzip.compress(TEXT.encode()), headers={"Content-Encoding": "gzip"})


@pytest.fixture
def bare() -> TestClient:
    routes = [
        Route("/whole", _whole),
        Route("/stream", _stream),
        Route("/image", _image),
        Route("/encoded", _encoded),
    ]
    return TestClient(CompressionMiddleware(Starlette(routes=routes), minimum_size=1000))


@pytest.mark.parametrize("coding", ["br", "gzip"])
def test_streamed_bodies_compress_incrementally(bare: TestClient, coding: str) -> None:
    with bare.stream("GET", "/stream", headers={"Accept-Encoding": coding}) as response:
        assert response.headers["content-encoding"] == coding
        assert "content-length" not in response.headers
        assert _decode(response) == TEXT.encode() * 4


def test_streamed_bodies_pass_through_without_a_coding(bare: TestClient) -> None:
    with bare.stream("GET", "/stream", headers={"Accept-Encoding": "identity"}) as response:
        assert "content-encoding" not in response.headers
        assert response.headers["vary"] == "Accept-Encoding"
        assert _decode(response) == TEXT.encode() * 4


def test_gzip_output_is_deterministic(bare: TestClient) -> None:
    bodies = set()
    for _ in range(2):
        with bare.stream("GET", "/whole", headers={"Accept-Encoding": "gzip"}) as response:
            bodies.add(b"".join(response.iter_raw()))
    assert len(bodies) == 1


def test_binary_and_already_encoded_bodies_are_left_alone(bare: TestClient) -> None:
    with bare.stream("GET", "/image", headers={"Accept-Encoding": "br"}) as image:
        assert "content-encoding" not in image.headers
        assert len(b"".join(image.iter_raw())) == 5004
    with bare.stream("GET", "/encoded", headers={"Accept-Encoding": "br"}) as encoded:
        assert encoded.headers["content-encoding"] == "gzip"
        assert _decode(encoded) == TEXT.encode()
