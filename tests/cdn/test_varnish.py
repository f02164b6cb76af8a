"""A real Varnish (vmod xkey) in front of a real `dopys serve`: each kind of change is
served on the next request, and what it did not change stays in Varnish (no origin fetch)."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import Engine, text

from tests.cdn.conftest import CDN_ENV
from tests.cdn.varnish import Varnish, varnish, varnishd
from tests.factories import iso
from tests.processes import free_port, start_server

Step = Callable[[], Any]


class Site:
    def __init__(
        self, db: Engine, origin: str, cdn: Varnish, editor: dict[str, str], admin: dict[str, str]
    ) -> None:
        self.db, self.origin, self.cdn, self.editor, self.admin = db, origin, cdn, editor, admin
        self.urls: list[str] = []
        self.unsettled: int | None = None  # the last purge before writes not purged yet
        self.http = httpx2.Client(timeout=10)  # kept alive: the test's own requests stay cheap

    def write(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if self.unsettled is None:
            self.unsettled = self.last_purge()
        answer = self.http.request(method, self.origin + path, headers=self.editor, **kwargs)
        assert answer.status_code in (200, 201), answer.text
        return dict(answer.json())

    def article(self, slug: str, *, status: str = "published", **extra: Any) -> dict[str, Any]:
        payload = {
            "original_lang": "uk",
            "status": status,
            "published_at": iso(datetime.now(UTC) - timedelta(hours=1)),
            "tags": ["world"],
            "translations": [{"lang": "uk", "title": f"Стаття {slug}", "slug": slug}],
            **extra,
        }
        if status != "published":
            payload["published_at"] = None
        return self.write("POST", "/v1/editor/articles", json=payload)

    def delivered(self) -> list[dict[str, Any]]:
        """Every purge, once none is waiting."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            page = self.http.get(f"{self.origin}/v1/cdn/purges?limit=100", headers=self.admin)
            assert page.status_code == 200, page.text
            purges = page.json()["data"]
            if all(p["state"] == "delivered" for p in purges):
                return list(purges)
            time.sleep(0.05)
        raise AssertionError(f"purges still waiting: {purges}")

    def settled(self, after: int) -> None:
        """Until every write has been read into purges, one newer than `after` is queued,
        and none is waiting."""
        deadline = time.monotonic() + 15
        while not self._read_all() or not self.delivered() or self.delivered()[0]["id"] <= after:
            assert time.monotonic() < deadline, "no purge came"
            time.sleep(0.05)

    def _read_all(self) -> bool:
        with self.db.connect() as conn:
            written = conn.execute(text("SELECT seq FROM sync_state")).scalar_one()
            read = conn.execute(text("SELECT seq FROM cdn_purge_cursor")).scalar()
        return read is not None and read >= written

    def last_purge(self) -> int:
        purges = self.delivered()
        return int(purges[0]["id"]) if purges else 0

    def origin_view(self) -> dict[str, tuple[int, Any]]:
        return {url: self._get(self.origin + url) for url in self.urls}

    def warm(self) -> dict[str, tuple[int, Any]]:
        """Each URL fetched into Varnish, and what the origin answers for it now."""
        for url in self.urls:
            self._get(self.cdn.url + url)
        for url in self.urls:  # now stored: a hit
            answer = self.http.get(self.cdn.url + url)
            assert answer.status_code != 200 or answer.headers["x-cache"] == "HIT", url
        return self.origin_view()

    def _get(self, url: str) -> tuple[int, Any]:
        answer = self.http.get(url)
        return answer.status_code, _body(answer)

    def change(self, act: Step) -> set[str]:
        """`act`, then the next request for each URL through Varnish: the origin's answer
        now; those the change left as they were, from Varnish's store. The changed URLs."""
        if self.unsettled is not None:  # what earlier writes purge lands before the warming
            self.settled(self.unsettled)
        before = self.warm()
        fetched = self.cdn.backend_requests()
        mark = self.last_purge()
        act()
        self.settled(mark)
        self.unsettled = None
        after = self.origin_view()
        misses = 0
        for url in self.urls:
            answer = self.http.get(self.cdn.url + url)
            assert (answer.status_code, _body(answer)) == after[url], url
            if answer.headers.get("x-cache") != "HIT":
                misses += 1
            if after[url] == before[url] and after[url][0] == 200:
                assert answer.headers["x-cache"] == "HIT", f"{url} was fetched again"
        assert self.cdn.backend_requests() - fetched == misses
        return {url for url in self.urls if after[url] != before[url]}


def _body(answer: httpx2.Response) -> Any:
    return answer.json() if answer.content else None


def test_varnish_serves_each_change_on_the_next_request_and_keeps_the_rest(
    db: Engine,
    database_url: str,
    editor_headers: dict[str, str],
    admin_headers: dict[str, str],
    tmp_path: Path,
) -> None:
    varnishd()
    cdn_port = free_port()
    env = {**CDN_ENV, "CDN_PURGE_URL": f"http://127.0.0.1:{cdn_port}/"}
    server, origin = start_server(database_url, tmp_path / "serve.log", env)
    try:
        origin_port = int(origin.rsplit(":", 1)[1])
        with varnish(origin_port, cdn_port, tmp_path) as cdn:
            site = Site(db, origin, cdn, editor_headers, admin_headers)
            with site.http:
                _scenario(site)
    finally:
        server.terminate()
        server.wait(timeout=10)


def _scenario(site: Site) -> None:
    site.write("POST", "/v1/editor/tags", json={"slug": "world", "names": {"uk": "Світ"}})
    site.write("POST", "/v1/editor/tags", json={"slug": "sport", "names": {"uk": "Спорт"}})
    a = site.article("alpha")
    site.article("beta", tags=["sport"])
    site.urls = [
        "/v1/articles",
        "/v1/articles?tag=world",
        "/v1/articles?tag=sport",
        "/v1/articles/alpha",
        "/v1/articles/beta",
        "/v1/articles/gamma",
        "/v1/articles/delta",
        "/v1/tags/world",
    ]
    gamma = site.article("gamma", status="draft")

    published = site.change(
        lambda: site.write("POST", f"/v1/editor/articles/{gamma['id']}/publish")
    )
    assert {"/v1/articles", "/v1/articles?tag=world", "/v1/articles/gamma"} <= published
    assert "/v1/articles/beta" not in published

    edited = site.change(
        lambda: site.write(
            "PUT",
            f"/v1/editor/articles/{a['id']}/translations/uk",
            json={"title": "Нова назва", "slug": "alpha"},
        )
    )
    assert "/v1/articles/alpha" in edited and "/v1/articles/gamma" not in edited

    renamed = site.change(
        lambda: site.write("PATCH", "/v1/editor/tags/world", json={"names": {"uk": "Світові"}})
    )
    assert {"/v1/tags/world", "/v1/articles/alpha", "/v1/articles/gamma"} <= renamed

    unpublished = site.change(
        lambda: site.write("POST", f"/v1/editor/articles/{gamma['id']}/unpublish")
    )
    assert {"/v1/articles", "/v1/articles/gamma"} <= unpublished

    at = datetime.now(UTC) + timedelta(seconds=4)
    site.article("delta", published_at=iso(at), tags=["sport"])

    def go_live() -> None:  # no write: the time comes
        assert datetime.now(UTC) < at, "warmed up too slowly"
        while datetime.now(UTC) < at:
            time.sleep(0.05)

    live = site.change(go_live)
    assert {"/v1/articles", "/v1/articles?tag=sport", "/v1/articles/delta"} <= live
    assert "/v1/articles/alpha" not in live
