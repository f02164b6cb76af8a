"""Search and feed figures on real news, on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--copies 40] [--backends sqlite,postgresql]

Loads ../shared/data/ntrex-en-uk.jsonl `--copies` times (123 bilingual articles a copy)
with bulk SQL, as an import does, first without and then with the search index, and
reports: load time both ways (what the index costs a write), the time the migration takes
to index existing rows, search latency per query (p50/p95 of 20 runs, first page of 20,
in-process HTTP, response cache off), and the time to render each feed format.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import Engine, column, delete, insert, table

from app.core import migrations
from app.core.config import Settings
from app.core.db import create_db_engine
from app.main import create_app
from app.models import Article, ArticleTranslation
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.factories import news_rows

BEFORE_SEARCH = "804c4ac7b9aa"
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
QUERIES = [
    "поліція",
    "президента",
    "міністр закордонних справ",
    "brexit",
    "north korea",
    "the",  # in nearly every English translation
    "з",  # a one-letter word in nearly every Ukrainian translation
    "прав*",  # an explicit prefix
    "zzzz",  # no hits
]


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _load(engine: Engine, copies: int, *, lemmas: bool) -> float:
    """Load time of rows made beforehand (lemmatizing them is not timed here)."""
    articles, translations = news_rows(DATA_DIR, copies, lemmas=lemmas)

    def run() -> None:
        with engine.begin() as conn:
            for i in range(0, len(articles), 1000):
                conn.execute(insert(Article), articles[i : i + 1000])
            # Only the columns the rows name: the schema may predate the lemma columns.
            known = ArticleTranslation.__table__.c
            target = table(
                ArticleTranslation.__tablename__,
                *(column(name, known[name].type) for name in translations[0]),
            )
            for i in range(0, len(translations), 1000):
                conn.execute(insert(target), translations[i : i + 1000])

    return _timed(run)


def _wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(delete(Article))


def _percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"p50 {statistics.median(ms):6.1f} ms  p95 {ms[int(len(ms) * 0.95) - 1]:6.1f} ms"


def bench(url: str, copies: int) -> None:
    migrations.upgrade(url, BEFORE_SEARCH)
    engine = create_db_engine(url)
    plain = _load(engine, copies, lemmas=False)
    index_existing = _timed(lambda: migrations.upgrade(url))
    _wipe(engine)
    indexed = _load(engine, copies, lemmas=True)
    n = copies * 123
    print(f"  load {n} articles / {2 * n} translations, bulk SQL:")
    print(f"    without the index {plain:6.2f} s, with it {indexed:6.2f} s")
    print(f"  migration indexing those {2 * n} existing translations: {index_existing:6.2f} s")
    # The response cache off: every request runs the search (a cache hit measures nothing).
    settings = Settings(database_url=url, response_cache_bytes=0)
    with TestClient(create_app(settings)) as client:
        for q in QUERIES:
            samples, total = [], 0
            for _ in range(20):
                started = time.perf_counter()
                response = client.get("/v1/search", params={"q": q, "limit": 20})
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
                total = len(response.json()["data"])
            print(f"  search {q!r:32} {total:3} on page 1  {_percentiles(samples)}")
        for fmt in ("rss", "atom", "json"):
            url = f"/v1/feeds/uk.{fmt}"
            samples = [_timed(partial(client.get, url)) for _ in range(20)]
            print(f"  feed uk.{fmt:5} (30 items)                      {_percentiles(samples)}")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        print(f"{backend}:")
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                bench(f"sqlite:///{tmp}/bench.sqlite3", args.copies)
        else:
            url = _create_postgres_database()
            try:
                bench(url, args.copies)
            finally:
                _drop_postgres_database(url)


if __name__ == "__main__":
    main()
