"""One render per miss: requests for a public page that come while it is being rendered
wait for that render and are answered from it, each as a hit would be; whatever becomes of
the render, they go on (never hang, never get another's error); and a request that comes
after a write is never answered with a render from before it. Over HTTP into the app
(httpx over ASGI), with the requests really concurrent, on each database."""

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from starlette.types import Message, Receive, Scope, Send

from app.core.caching import PublicCache
from app.core.config import Settings
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.inline import runs_in_place
from app.main import create_app
from tests.conftest import RecordingClient
from tests.factories import make_article

N = 24
FEED = "/v1/articles"
ORIGIN = "https://site.example"
_LIMIT_S = 30.0  # a request not answered by then has hung


def _is_feed_query(statement: str) -> bool:
    return "FROM articles" in statement and "ORDER BY articles.published_at DESC" in statement


class Renders:
    """Statements `counted` that `engine` runs (the feed query: one per render of the
    feed). `hold()` stops the next one (in its worker thread) before it runs, or just
    after, until `release()`."""

    def __init__(self, engine: Engine, counted: Callable[[str], bool] = _is_feed_query) -> None:
        self.count = 0
        self._counted = counted
        self.reached = threading.Event()
        self._release = threading.Event()
        self._held: str | None = None
        self._fail = False
        self._engine = engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def close(self) -> None:
        self._release.set()
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)

    def hold(self, when: str, *, fail: bool = False) -> None:
        self._held, self._fail = when, fail

    def release(self) -> None:
        self._release.set()

    def _before(self, *args: Any) -> None:
        if self._counted(args[2]):
            self.count += 1
            self._stop("before")

    def _after(self, *args: Any) -> None:
        if self._counted(args[2]):
            self._stop("after")

    def _stop(self, when: str) -> None:
        if self._held != when:
            return
        self._held = None  # only the first
        self.reached.set()
        assert self._release.wait(_LIMIT_S)
        if self._fail:
            raise OperationalError("SELECT", {}, Exception("connection lost (injected)"))


@contextmanager
def _renders(app: FastAPI) -> Iterator[Renders]:
    renders = Renders(app.state.read_engine)
    try:
        yield renders
    finally:
        renders.close()


def _http(app: FastAPI) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://test")


async def _until(condition: Callable[[], bool]) -> None:
    """Polls: the app has no event to say that a request has started waiting."""
    async with asyncio.timeout(_LIMIT_S):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.002)


def _waiting(app: FastAPI) -> int:
    cache: PublicCache = app.front_door  # type: ignore[attr-defined]
    return sum(flight.waiters for flight in cache.flights)


async def _answers(tasks: list["asyncio.Task[httpx2.Response]"]) -> list[httpx2.Response]:
    async with asyncio.timeout(_LIMIT_S):
        return list(await asyncio.gather(*tasks))


async def _leader_and_waiters(
    app: FastAPI, http: httpx2.AsyncClient, gate: Renders, count: int
) -> tuple["asyncio.Task[httpx2.Response]", list["asyncio.Task[httpx2.Response]"]]:
    """Starts a request for the feed that stops at `gate` (it leads the render), then
    `count` more, and returns once they all wait for it."""
    leader = asyncio.create_task(http.get(FEED))
    await asyncio.to_thread(gate.reached.wait, _LIMIT_S)
    waiters = [asyncio.create_task(http.get(FEED)) for _ in range(count)]
    await _until(lambda: _waiting(app) == count)
    return leader, waiters


def _ids(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


def _run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


@pytest.fixture
def articles(client: RecordingClient, editor_headers: dict[str, str]) -> list[dict[str, Any]]:
    return [make_article(client, editor_headers, title=f"Стаття {n}") for n in range(3)]


def _publish(client: RecordingClient, headers: dict[str, str], title: str) -> dict[str, Any]:
    return make_article(client, headers, title=title, published_at=datetime.now(UTC))


@dataclass(frozen=True)
class StaleFeed:
    one_render: int  # feed queries one render of the feed runs
    newest: str  # the article just published: the cached page is without it


def _stale_feed(app: FastAPI, client: RecordingClient, headers: dict[str, str]) -> StaleFeed:
    """Counts one render of the feed (after a write: no current page), then publishes."""
    _publish(client, headers, "Для мірки")
    with _renders(app) as renders:
        assert client.get(FEED).status_code == 200
    assert renders.count > 0
    return StaleFeed(renders.count, _publish(client, headers, "Щойно опубліковано")["id"])


@pytest.fixture
def stale(
    app: FastAPI,
    client: RecordingClient,
    editor_headers: dict[str, str],
    articles: list[dict[str, Any]],
) -> StaleFeed:
    """For the tests that stop a render midway: that needs a render off the event loop."""
    if runs_in_place(app.state.read_engine):
        pytest.skip("a SQLite read runs on the event loop: nothing arrives while it renders")
    return _stale_feed(app, client, editor_headers)


def _assert_shared(answers: list[httpx2.Response], stale: StaleFeed) -> None:
    """One body for all, with the latest article."""
    assert [_ids(a)[0] for a in answers] == [stale.newest] * len(answers)
    assert {a.content for a in answers} == {answers[0].content}


def _varied_requests(editor_headers: dict[str, str]) -> list[dict[str, str]]:
    """The same page asked for N ways: each content coding, CORS and not, with a key,
    conditional."""
    tomorrow = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    kinds: list[dict[str, str]] = [
        {"Accept-Encoding": "identity"},
        {"Accept-Encoding": "gzip"},
        {"Accept-Encoding": "br"},
        {"Accept-Encoding": "gzip", "Origin": ORIGIN},
        {"Accept-Encoding": "identity", "Origin": "https://elsewhere.example"},
        {"Accept-Encoding": "identity", **editor_headers},
        {"Accept-Encoding": "br", "If-Modified-Since": tomorrow},
        {"Accept-Encoding": "identity", "If-None-Match": '"not-it"'},
    ]
    return [kinds[n % len(kinds)] for n in range(N)]


def _seen(response: httpx2.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "date"}
    return response.status_code, headers, response.content


def _assert_negotiated(headers: dict[str, str], answer: httpx2.Response) -> None:
    """The answer follows this request's own headers: conditional, coding, CORS."""
    conditional = "If-Modified-Since" in headers
    assert answer.status_code == (304 if conditional else 200)
    suffix = {"br": "-br", "gzip": "-gzip"}.get(headers["Accept-Encoding"], "")
    assert answer.headers["etag"].endswith(f'{suffix}"')
    if not conditional:
        assert answer.headers.get("content-encoding") == (suffix[1:] or None)
    allowed = answer.headers.get("access-control-allow-origin")
    assert allowed == (ORIGIN if headers.get("Origin") == ORIGIN else None)


def test_after_a_write_concurrent_requests_share_one_render_each_answered_as_a_hit(
    editor_headers: dict[str, str], settings: Settings, articles: list[dict[str, Any]]
) -> None:
    """N requests for the page, N ways (codings, CORS, a key, conditional), all at once:
    one render, and each gets exactly what the same request gets from the cache later."""
    app = create_app(settings.model_copy(update={"cors_origins": [ORIGIN]}))
    with RecordingClient(app) as client:
        stale = _stale_feed(app, client, editor_headers)
        requests = _varied_requests(editor_headers)

        async def scenario() -> None:
            async with _http(app) as http:
                with _renders(app) as renders:
                    tasks = [asyncio.create_task(http.get(FEED, headers=h)) for h in requests]
                    answers = await _answers(tasks)
                assert renders.count == stale.one_render  # rendered once, for all N
                for headers, answer in zip(requests, answers, strict=True):
                    _assert_negotiated(headers, answer)
                bodies = {a.content for a in answers if a.status_code == 200}
                assert len(bodies) == 1
                assert _ids(answers[0])[0] == stale.newest
                with _renders(app) as renders:
                    hits = [await http.get(FEED, headers=h) for h in requests]
                assert renders.count == 0
                assert [_seen(a) for a in answers] == [_seen(h) for h in hits]

        _run(scenario)
        assert client.server_errors == []


def test_a_request_that_comes_after_a_write_is_not_answered_with_the_render_before_it(
    app: FastAPI, stale: StaleFeed, editor_headers: dict[str, str]
) -> None:
    """Requests that came while the render was under way, half of them after a write that
    committed once it had read the data: those must see the write (the freshness rule).
    The render's stamp no longer holds, so the first request to find that renders again,
    for all the others."""

    async def scenario() -> None:
        async with _http(app) as http:
            with _renders(app) as renders:
                renders.hold("after")  # the leader has read the data, not answered yet
                leader, early = await _leader_and_waiters(app, http, renders, N // 2)
                payload = {
                    "original_lang": "uk",
                    "translations": [{"lang": "uk", "title": "Після", "slug": "pislia"}],
                    "status": "published",
                    "published_at": datetime.now(UTC).isoformat(),
                }
                write = await http.post("/v1/editor/articles", json=payload, headers=editor_headers)
                assert write.status_code == 201, write.text
                written = write.json()["id"]
                late = [asyncio.create_task(http.get(FEED)) for _ in range(N // 2)]
                await _until(lambda: _waiting(app) == N)
                renders.release()
                first, *rest = await _answers([leader, *early, *late])
            assert written not in _ids(first)  # the leader's render is from before the write
            for answer in rest[N // 2 :]:
                assert _ids(answer)[0] == written
            assert all(a.status_code == 200 for a in rest)
            assert renders.count == 2 * stale.one_render

    _run(scenario)


def test_a_failing_render_leaves_its_waiters_to_render_their_own(
    app: FastAPI, stale: StaleFeed
) -> None:
    """The leader's 503 is its own: nobody waits on, or gets, another client's error."""

    async def scenario() -> None:
        async with _http(app) as http:
            with _renders(app) as renders:
                renders.hold("before", fail=True)
                leader, waiters = await _leader_and_waiters(app, http, renders, N - 1)
                renders.release()
                failed, *answers = await _answers([leader, *waiters])
            assert failed.status_code == 503
            assert failed.headers["content-type"] == PROBLEM_MEDIA_TYPE
            _assert_shared(answers, stale)
            # Nothing shared: each rendered its own (the leader failed at its first query).
            assert renders.count == (N - 1) * stale.one_render + 1

    _run(scenario)


def test_a_leader_whose_client_is_gone_still_answers_its_waiters(
    app: FastAPI, stale: StaleFeed
) -> None:
    """A server whose send fails once the client has gone: the render is theirs anyway."""
    first: list[Scope] = []  # the first request to this server leads

    async def server(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_or_fail(message: Message) -> None:
            if scope is first[0]:
                raise OSError("the client has gone")
            await send(message)

        first.append(scope)
        await app(scope, receive, send_or_fail)

    async def scenario() -> None:
        transport = httpx2.ASGITransport(app=server)
        async with httpx2.AsyncClient(transport=transport, base_url="http://test") as http:
            with _renders(app) as renders:
                renders.hold("before")
                leader, waiters = await _leader_and_waiters(app, http, renders, N - 1)
                renders.release()
                answers = await _answers(waiters)
                with pytest.raises(OSError):
                    await leader
            _assert_shared(answers, stale)
            assert renders.count == stale.one_render

    _run(scenario)


def test_pages_that_are_not_shared_are_rendered_by_each_without_waiting_for_ever(
    app: FastAPI, client: RecordingClient, articles: list[dict[str, Any]]
) -> None:
    """A 404 is not kept or shared: concurrent requests for it each get their own."""

    async def scenario() -> None:
        async with _http(app) as http:
            tasks = [asyncio.create_task(http.get(f"{FEED}/no-such-article")) for _ in range(N)]
            answers = await _answers(tasks)
        assert [a.status_code for a in answers] == [404] * N
        assert {a.headers["content-type"] for a in answers} == {PROBLEM_MEDIA_TYPE}

    _run(scenario)
    assert len(app.front_door.flights) == 0  # type: ignore[attr-defined]
