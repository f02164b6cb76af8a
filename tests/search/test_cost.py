"""What one anonymous search may cost (issue 26): the queries that pinned a core for
minutes, a time budget answered 503, short prefixes refused, a fuzz of FTS syntax and
stop-word phrases, and a search stopped when its client goes away."""

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, text

from app.core.config import Settings
from app.core.db import make_session_factory
from app.main import create_app
from app.models import Article, ArticleTranslation
from tests.conftest import _clean
from tests.factories import Rows, bulk_import, news_rows
from tests.processes import start_server

BUDGET_MS = 300
WITHIN_S = BUDGET_MS / 1000 + 1  # what every answer must take at most
# The issue's queries: a one-letter prefix with a phrase of two stop words.
ISSUE_QUERIES = ['a* "the of"', '"the of" b*', 'w* "the of"']
# The same with prefixes long enough to run: on SQLite each took 0.5-4 s on 738 articles
# before (seconds more under load), 0.03-0.2 s now.
HEAVY_QUERIES = [
    '"the of"',
    'the* "the of"',
    'wor* "the of"',
    '"the of" bec*',
    'the* and* "the of" "in the" "of the" "to the"',
]
# A prefix matching one distinct word per article and word position (see _vocabulary).
VOCABULARY_PREFIX = "zzq*"


@lru_cache
def _news(data_dir: Path, copies: int) -> tuple[Rows, Rows]:
    return news_rows(data_dir, copies=copies)


def _vocabulary(articles: int, words: int) -> tuple[Rows, Rows]:
    """Articles whose bodies are all distinct words `zzq<article>x<n>`: a long tail of a
    vocabulary that a prefix reads in full. No lemma columns (phrases and prefixes only)."""
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows: Rows = []
    translations: Rows = []
    for n in range(articles):
        article_id, moment = uuid.uuid4(), start - timedelta(minutes=n)
        rows.append(
            {
                "id": article_id,
                "original_lang": "en",
                "status": "published",
                "published_at": moment,
                "created_at": moment,
                "updated_at": moment,
                "version": 1,
                "change_seq": 0,
            }
        )
        body = "<p>" + " ".join(f"zzq{n}x{i}" for i in range(words)) + "</p>"
        translations.append(
            {
                "article_id": article_id,
                "lang": "en",
                "title": f"Vocabulary {n}",
                "slug": f"vocabulary-{n}",
                "excerpt": "A long tail of words.",
                "body": body,
                "updated_at": moment,
            }
        )
    return rows, translations


@pytest.fixture(scope="module")
def heavy_db(engine: Engine, shared_data_dir: Path) -> Iterator[Engine]:
    """Real news imported in bulk once per backend. SQLite: 6 copies (738 articles), what
    made its old plans take seconds, and the long-tail vocabulary, whose prefix outlasts a
    budget there. PostgreSQL answered those fast before: one copy, and a lock for a slow
    statement (_translations_locked)."""
    _clean(engine)
    sessions = make_session_factory(engine, write=True)
    sqlite = engine.dialect.name == "sqlite"
    batches = [_news(shared_data_dir, 6 if sqlite else 1)]
    if sqlite:
        batches.append(_vocabulary(60, 5000))
    for articles, translations in batches:
        with bulk_import(sessions) as session:
            session.execute(insert(Article.__table__), articles)
            session.execute(insert(ArticleTranslation.__table__), translations)
    yield engine
    _clean(engine)


@pytest.fixture(scope="module")
def budget_client(heavy_db: Engine, database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, search_time_budget_ms=BUDGET_MS))
    with TestClient(app, raise_server_exceptions=False) as client:
        client.get("/v1/search", params={"q": "earthquake"})  # first-request costs paid
        yield client


def _timed_search(client: TestClient, q: str) -> tuple[httpx2.Response, float]:
    started = time.monotonic()
    response = client.get("/v1/search", params={"q": q})
    return response, time.monotonic() - started


def _assert_bounded(response: httpx2.Response, took: float, q: str) -> None:
    """200, a clear 4xx or a 503 with Retry-After, within the budget plus a second."""
    assert took <= WITHIN_S, f"{q!r} took {took:.2f} s"
    assert response.status_code in (200, 400, 422, 503), (q, response.status_code, response.text)
    if response.status_code != 200:
        assert response.headers["content-type"] == "application/problem+json", q
    if response.status_code == 503:
        assert response.headers["retry-after"].isdigit(), q
        assert response.json()["type"].endswith("/search-over-budget"), q


def test_the_issues_queries_are_refused_for_their_one_letter_prefix(
    budget_client: TestClient,
) -> None:
    for q in ISSUE_QUERIES:
        response, took = _timed_search(budget_client, q)
        assert response.status_code == 422, (q, response.text)
        assert took <= WITHIN_S
        problem = response.json()
        assert problem["errors"][0]["field"] == "q"
        assert "at least 3 letters or digits" in problem["detail"], problem


def test_the_issues_queries_with_longer_prefixes_answer_within_the_budget(
    budget_client: TestClient,
) -> None:
    for q in HEAVY_QUERIES:
        response, took = _timed_search(budget_client, q)
        _assert_bounded(response, took, q)


@contextmanager
def _translations_locked(engine: Engine) -> Iterator[None]:
    """PostgreSQL: article_translations locked by another transaction, so a search waits
    on the lock, as long as a slow scan (the wait counts against statement_timeout). Given
    up after 10 s, so a search that waits for ever fails the test instead of hanging it."""
    raw = engine.raw_connection()
    try:
        raw.cursor().execute("LOCK TABLE article_translations IN ACCESS EXCLUSIVE MODE")
        release = threading.Timer(10, raw.rollback)
        release.start()
        try:
            yield
        finally:
            release.cancel()
            raw.rollback()
    finally:
        raw.close()


@contextmanager
def _over_budget(engine: Engine) -> Iterator[str]:
    """A query that cannot finish within BUDGET_MS on this backend."""
    if engine.dialect.name == "sqlite":
        yield VOCABULARY_PREFIX
    else:
        with _translations_locked(engine):
            yield "volcano"  # searched nowhere else: no cached answer


def test_a_search_over_its_budget_is_a_503_with_retry_after_and_never_cached(
    budget_client: TestClient, heavy_db: Engine
) -> None:
    with _over_budget(heavy_db) as q:
        for _ in range(2):  # the second is not the first served again from a cache
            response, took = _timed_search(budget_client, q)
            assert response.status_code == 503, response.text
            assert took <= WITHIN_S
            assert response.headers["retry-after"] == "5"
            assert response.headers["cache-control"] == "no-store"
            assert "etag" not in response.headers
            assert response.json()["title"] == "Search took too long"
    # The connection is fine afterwards: its next search has the whole budget again.
    response, took = _timed_search(budget_client, "tsunami")
    assert response.status_code == 200, response.text


STOP_WORDS = ["the", "of", "and", "a", "in", "to", "is", "that", "та", "і", "в", "на", "що"]
PREFIXES = ["a*", "w*", "b*", "th*", "the*", "wor*", "pro*", "bec*", "прав*", "zzq*"]
WORDS = [*STOP_WORDS, *PREFIXES, "earthquake", "korea", "year", "war", "україна"]
SYNTAX = ['"', "*", "(", ")", "-", ":", "^", "+", "{", "}", "'", "NEAR", "AND", "OR", "NOT"]
_fts = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(SYNTAX),
        st.text(alphabet='abehortz*"():^-{} ', max_size=6),
    ),
    min_size=1,
    max_size=14,
).map(" ".join)
_stop_phrase = st.one_of(
    st.sampled_from(['"the of"', '"of the"', '"in the"', '"to the"', '"and the"']),
    st.lists(st.sampled_from(STOP_WORDS), min_size=2, max_size=8).map(
        lambda words: '"' + " ".join(words) + '"'
    ),
)
QUERIES = st.one_of(
    _fts,
    st.lists(st.one_of(_stop_phrase, st.sampled_from(WORDS)), min_size=1, max_size=5).map(" ".join),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(q=QUERIES)
def test_fuzz_every_fts_query_answers_within_the_budget(budget_client: TestClient, q: str) -> None:
    response, took = _timed_search(budget_client, q)
    _assert_bounded(response, took, q)


# ---- a real server: the client goes away ----------------------------------------------


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime, stime in clock ticks


def _poll(condition: Any, within: float, every: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def _searching(engine: Engine) -> int:
    """PostgreSQL: backends running a search statement (waiting on the lock)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE '%article_translations%' AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        )


def _start_search(url: str, q: str) -> socket.socket:
    """The search sent on a raw socket, its answer never read."""
    client = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
    path = "/v1/search?" + str(httpx2.QueryParams({"q": q}))
    client.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    return client


def _wait_running(engine: Engine, pid: int) -> None:
    if engine.dialect.name == "sqlite":  # the server's CPU climbs
        before = _cpu_seconds(pid)
        assert _poll(lambda: _cpu_seconds(pid) - before > 0.3, 20), "no search ran"
    else:  # a backend waits on the lock
        assert _poll(lambda: _searching(engine) == 1, 20), "no search ran"


def _stopped(engine: Engine, pid: int, within: float) -> bool:
    if engine.dialect.name == "sqlite":
        return _poll(lambda: _cpu_idle(pid), within)
    return _poll(lambda: _searching(engine) == 0, within)


# Long enough that a search stopped well before it was stopped by its client going away.
SERVER_BUDGET_S = 4


def test_a_search_whose_client_goes_away_is_stopped_and_shutdown_waits_no_longer_than_budget(
    heavy_db: Engine, database_url: str, tmp_path: Path
) -> None:
    env = {"SEARCH_TIME_BUDGET_MS": str(SERVER_BUDGET_S * 1000)}
    server, url = start_server(database_url, tmp_path / "serve.log", env)
    try:
        with _over_budget(heavy_db) as q:
            client = _start_search(url, q)
            _wait_running(heavy_db, server.pid)
            client.close()
            gone = time.monotonic()
            assert _stopped(heavy_db, server.pid, 2), "the search kept running"
            assert time.monotonic() - gone < 2
            # The server answers the next request at once.
            response = httpx2.get(f"{url}/healthz", timeout=2)
            assert response.status_code == 200
            # A search still running when the server is told to stop holds it no longer
            # than the budget.
            client = _start_search(url, q)
            _wait_running(heavy_db, server.pid)
            told = time.monotonic()
            server.terminate()
            server.wait(timeout=SERVER_BUDGET_S + 2)
            assert time.monotonic() - told < SERVER_BUDGET_S + 2
            client.close()
    finally:
        server.kill()
        server.wait(timeout=10)


def _cpu_idle(pid: int) -> bool:
    """The process spent under 10% of the next 0.3 s on the CPU."""
    before = _cpu_seconds(pid)
    time.sleep(0.3)
    return _cpu_seconds(pid) - before < 0.03
