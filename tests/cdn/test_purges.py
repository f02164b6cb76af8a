"""Surrogate keys on public responses, and purges: what each CDN is sent, retries,
batches, the admin view and resends, and two processes sending each purge once."""

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, text

from app.core.config import Settings
from app.main import create_app
from tests.cdn.conftest import CDN_ENV
from tests.conftest import RecordingClient
from tests.factories import make_article, make_tag
from tests.processes import serving
from tests.webhooks.receiver import Receiver, receiving

FAST: dict[str, Any] = {
    "cdn_key_header": "Surrogate-Key",
    "cdn_cache_control_header": "Surrogate-Control",
    "cdn_purge_poll_seconds": 0.05,
    "cdn_purge_timeout_seconds": 3,
    "cdn_purge_retry_schedule": [0.1, 0.1, 0.1, 0.1],
    "webhooks_worker": False,
}


@pytest.fixture
def cdn_app(db: Engine, database_url: str) -> Iterator[Callable[..., RecordingClient]]:
    """HTTP into apps whose lifespan runs the purge worker, FAST settings changed by keywords."""
    with ExitStack() as stack:
        clients: list[RecordingClient] = []

        def make(**settings: Any) -> RecordingClient:
            config = Settings(database_url=database_url, **{**FAST, **settings})
            clients.append(stack.enter_context(RecordingClient(create_app(config))))
            return clients[-1]

        yield make
    assert [e for c in clients for e in c.server_errors] == []


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


def _varnish_at(receiver: Receiver) -> dict[str, Any]:
    return {"cdn_purge": "varnish", "cdn_purge_url": receiver.url, "cdn_purge_method": "POST"}


def _keys(received: Any) -> list[str]:
    return str(received.headers["xkey-purge"]).split()


def _purges(client: RecordingClient, admin: dict[str, str]) -> list[dict[str, Any]]:
    page = client.get("/v1/cdn/purges", headers=admin)
    assert page.status_code == 200, page.text
    return list(page.json()["data"])


def _hashed(key: str) -> str:
    return "h:" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def test_public_responses_name_their_keys_and_the_cdn_cache_control(
    cdn_app: Callable[..., RecordingClient], editor_headers: dict[str, str]
) -> None:
    client = cdn_app(cdn_cache_control="max-age=3600, stale-if-error=86400")
    make_tag(client, editor_headers, "world")
    article = make_article(client, editor_headers, tags=["world"])
    slug = article["translations"][0]["slug"]  # Cyrillic title: a transliterated slug

    page = client.get(f"/v1/articles/{slug}")
    assert page.status_code == 200
    keys = page.headers["surrogate-key"].split(" ")
    assert {"all", f"article:{article['id']}", "name:tag:world"} <= set(keys)
    assert page.headers["surrogate-control"] == "max-age=3600, stale-if-error=86400"
    assert page.headers["cache-control"] == "public, max-age=30, stale-while-revalidate=300"
    assert set(client.get("/v1/articles?tag=world").headers["surrogate-key"].split()) == {
        "all",
        "tag:world",
    }
    # A route that declares nothing depends on everything: every purge names it.
    assert client.get("/v1/sync").headers["surrogate-key"] == "all any-change"
    # 304s carry them too, so a revalidating CDN keeps its keys.
    again = client.get(f"/v1/articles/{slug}", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304 and again.headers["surrogate-key"] == " ".join(keys)


def test_long_keys_are_hashed_and_cache_tags_comma_separated(
    cdn_app: Callable[..., RecordingClient], editor_headers: dict[str, str]
) -> None:
    client = cdn_app(cdn_key_header="Cache-Tag", cdn_cache_control_header="CDN-Cache-Control")
    slug = "-".join(["long"] * 22)  # as a key, longer than one sent as it is
    article = make_article(
        client, editor_headers, translations=[{"lang": "uk", "title": "Т", "slug": slug}]
    )
    page = client.get(f"/v1/articles/{slug}")
    assert page.status_code == 200, page.text
    tags = page.headers["cache-tag"].split(",")
    assert _hashed(f"slug:{slug}") in tags and f"article:{article['id']}" in tags
    assert all(tag.isascii() and " " not in tag and len(tag) <= 100 for tag in tags)
    assert page.headers["cdn-cache-control"].startswith("max-age=3600")


def test_no_cdn_headers_unless_configured(
    cdn_app: Callable[..., RecordingClient], editor_headers: dict[str, str]
) -> None:
    client = cdn_app(cdn_key_header="", cdn_cache_control_header="")
    make_article(client, editor_headers)
    answer = client.get("/v1/articles")
    assert "surrogate-key" not in answer.headers and "surrogate-control" not in answer.headers


def test_a_purge_refused_three_times_is_sent_on_the_fourth_try(
    cdn_app: Callable[..., RecordingClient],
    editor_headers: dict[str, str],
    admin_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    client = cdn_app(**_varnish_at(receiver))
    client.get("/v1/articles")  # the worker has started reading from here on
    receiver.wait_for(lambda _: _purges(client, admin_headers) == [] and _cursor_made(client))
    receiver.statuses = [500, 503, 502]
    article = make_article(client, editor_headers)
    receiver.wait_count(1)
    tries = receiver.received
    assert [r.status for r in tries] == [500, 503, 502, 200]
    assert {tuple(_keys(r)) for r in tries} == {tuple(_keys(tries[0]))}
    assert {f"article:{article['id']}", "listing", "any-change"} <= set(_keys(tries[0]))
    (purge,) = _purges(client, admin_headers)
    assert purge["state"] == "delivered" and purge["attempts"] == 4
    assert purge["last_status"] == 200 and purge["reason"] == "writes"


def _cursor_made(client: RecordingClient) -> bool:
    with client.app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.execute(text("SELECT count(*) FROM cdn_purge_cursor")).scalar_one() == 1


def test_purges_are_batched_listed_and_resent(
    cdn_app: Callable[..., RecordingClient],
    editor_headers: dict[str, str],
    admin_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    client = cdn_app(**_varnish_at(receiver), cdn_purge_batch=2)
    receiver.wait_for(lambda _: _cursor_made(client))
    make_tag(client, editor_headers, "world")
    article = make_article(client, editor_headers, tags=["world"])
    wanted = {f"article:{article['id']}", "tag:world", "listing"}
    receiver.wait_for(lambda r: wanted <= {k for got in r.accepted() for k in _keys(got)})
    receiver.wait_for(lambda _: _settled(client, admin_headers))
    assert all(len(_keys(r)) <= 2 for r in receiver.accepted())

    newest = _purges(client, admin_headers)[0]
    resent = client.post(f"/v1/cdn/purges/{newest['id']}/resend", headers=admin_headers)
    assert resent.status_code == 202, resent.text
    assert resent.json()["keys"] == newest["keys"] and resent.json()["reason"] == "resend"
    count = len(receiver.accepted())
    receiver.wait_count(count + 1)
    assert _keys(receiver.accepted()[-1]) == newest["keys"]

    missing = client.post("/v1/cdn/purges/999999/resend", headers=admin_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/cdn/purges", headers=editor_headers).status_code == 403


def _settled(client: RecordingClient, admin: dict[str, str]) -> bool:
    purges = _purges(client, admin)
    return bool(purges) and all(p["state"] == "delivered" for p in purges)


@pytest.mark.parametrize(
    ("provider", "path"),
    [("fastly", "/service/svc1/purge"), ("cloudflare", "/zones/svc1/purge_cache")],
)
def test_fastly_and_cloudflare_get_their_purge_apis(
    cdn_app: Callable[..., RecordingClient],
    editor_headers: dict[str, str],
    receiver: Receiver,
    provider: str,
    path: str,
) -> None:
    client = cdn_app(
        cdn_purge=provider,
        cdn_purge_url=receiver.url.removesuffix("/hook"),
        cdn_service_id="svc1",
        cdn_purge_token="t0ken",
        cdn_purge_allow_private=True,
    )
    receiver.wait_for(lambda _: _cursor_made(client))
    make_article(client, editor_headers)
    (sent,) = receiver.wait_count(1)
    assert sent.path == path
    if provider == "fastly":
        assert sent.headers["fastly-key"] == "t0ken"
        assert "any-change" in sent.headers["surrogate-key"].split(" ")
    else:
        assert sent.headers["authorization"] == "Bearer t0ken"
        assert "any-change" in orjson.loads(sent.body)["tags"]


def test_the_apis_of_fastly_and_cloudflare_are_not_called_on_private_addresses(
    cdn_app: Callable[..., RecordingClient],
    editor_headers: dict[str, str],
    admin_headers: dict[str, str],
    receiver: Receiver,
) -> None:
    client = cdn_app(
        cdn_purge="fastly",
        cdn_purge_url=receiver.url.removesuffix("/hook"),
        cdn_service_id="s",
        cdn_purge_token="t",
    )
    receiver.wait_for(lambda _: _cursor_made(client))
    make_article(client, editor_headers)
    receiver.wait_for(lambda _: any(p["attempts"] for p in _purges(client, admin_headers)))
    assert receiver.received == []
    assert "CDN_PURGE_ALLOW_PRIVATE" in _purges(client, admin_headers)[0]["last_error"]


def test_two_serve_processes_send_each_purge_once(
    db: Engine,
    database_url: str,
    editor_headers: dict[str, str],
    admin_headers: dict[str, str],
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes purge on PostgreSQL; SQLite runs one")
    env = {**CDN_ENV, "CDN_PURGE_URL": receiver.url, "CDN_PURGE_METHOD": "POST"}
    with (
        serving(database_url, tmp_path / "a.log", env) as first,
        serving(database_url, tmp_path / "b.log", env) as second,
    ):
        import httpx2

        ids = []
        for n in range(12):
            base = first if n % 2 else second
            made = httpx2.post(
                f"{base}/v1/editor/articles",
                json={
                    "original_lang": "uk",
                    "status": "published",
                    "translations": [{"lang": "uk", "title": f"Стаття {n}"}],
                },
                headers=editor_headers,
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        wanted = {f"article:{i}" for i in ids}

        def all_sent(r: Receiver) -> bool:
            return wanted <= {k for got in r.accepted() for k in _keys(got)}

        receiver.wait_for(all_sent)
    # Both stopped (each worker finishes what it sends): anything sent twice has come.
    sent = Counter(k for got in receiver.received for k in _keys(got) if k.startswith("article:"))
    assert set(sent) == wanted and set(sent.values()) == {1}
    with db.connect() as conn:
        states = conn.execute(text("SELECT state FROM cdn_purges")).scalars().all()
    assert len(receiver.received) == len(states) and set(states) == {"delivered"}


@pytest.mark.parametrize(
    ("provider", "missing"),
    [("varnish", "CDN_PURGE_URL"), ("fastly", "CDN_SERVICE_ID and CDN_PURGE_TOKEN")],
)
def test_a_purge_target_without_its_settings_does_not_start(provider: str, missing: str) -> None:
    with pytest.raises(ValidationError, match=f"CDN_PURGE={provider} needs {missing}"):
        Settings(cdn_purge=provider)
