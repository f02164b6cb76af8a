"""The benchmark: generate, import over HTTP, serve as production does, load with wrk, and
compare every workload with the two ceilings measured in the same run.

    scripts/bench --db sqlite|postgresql --articles 100000

See bench/README.md for what each figure means.
"""

import argparse
import base64
import http.client
import os
import platform
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core import migrations
from app.core.config import Settings
from app.core.db import create_db_engine, make_session_factory, unit_of_work
from app.keys.service import create_key
from app.models import KeyScope
from bench import churn, data_ceiling, load, profile, report, servers
from bench.ceiling import response_key
from bench.dataset import Corpus, Dataset

RESULTS = Path(__file__).resolve().parent / "results"
POSTGRES_ADMIN_URL = os.environ.get(
    "DOPYS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
WALK_LIMIT = 100  # page size used to walk the feed down to the deep cursor
SLUG_SAMPLE = 50  # article-by-slug requests rotate over this many articles
PROFILED = ("feed", "feed_uncached", "slug")  # workloads --profile samples


@dataclass
class Workload:
    key: str
    title: str
    requests: list[load.Request] = field(default_factory=list)
    expect: int = 200
    skipped: str | None = None  # why it does not apply to this build
    bust_cache: bool = False  # a new ignored query parameter each time: no response cache


# ---- database -----------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A new, empty database for this run: a temp SQLite file, or a PostgreSQL database
    created here and dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    name = f"dopys_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def write_key(database_url: str) -> str:
    engine = create_db_engine(database_url)
    try:
        with unit_of_work(make_session_factory(engine, write=True)) as session:
            return create_key(session, name="bench", scope=KeyScope.WRITE).secret
    finally:
        engine.dispose()


def settle(database_url: str) -> str:
    """After a bulk load PostgreSQL's autovacuum would soon analyze the tables and set the
    visibility map; do it now so it does not land in the middle of a measurement."""
    engine = create_db_engine(database_url)
    try:
        if engine.dialect.name != "postgresql":
            return "none (SQLite: the product runs no ANALYZE)"
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return "VACUUM ANALYZE (what autovacuum does after a bulk load)"
    finally:
        engine.dispose()


@contextmanager
def stand_in_for_autovacuum(database_url: str, every_s: float = 30) -> Iterator[dict[str, Any]]:
    """While the block runs, ANALYZE every `every_s` if this PostgreSQL server has
    autovacuum off. Production servers run it, and it re-analyzes a growing table; without
    statistics the planner keeps choosing sequential scans for the import's lookups, and a
    load slows down as the table grows."""
    state: dict[str, Any] = {"autovacuum": None, "analyzes": 0}
    engine = create_db_engine(database_url)
    stop = threading.Event()
    thread: threading.Thread | None = None
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                state["autovacuum"] = conn.execute(text("SHOW autovacuum")).scalar()
        if state["autovacuum"] == "off":

            def analyze() -> None:
                while not stop.wait(every_s):
                    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                        c.execute(text("ANALYZE"))
                    state["analyzes"] += 1

            thread = threading.Thread(target=analyze, daemon=True)
            thread.start()
        yield state
    finally:
        stop.set()
        if thread is not None:
            thread.join()
        engine.dispose()


def database_version(database_url: str) -> str:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                return str(conn.execute(text("SHOW server_version")).scalar())
            return "SQLite " + str(conn.execute(text("SELECT sqlite_version()")).scalar())
    finally:
        engine.dispose()


# ---- HTTP helpers -------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


class Client:
    """One keep-alive connection to a local server."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.replies: dict[tuple[str, str], Reply] = {}

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        self.conn.request("GET", path, headers=headers or {})
        response = self.conn.getresponse()
        return Reply(response.status, response.getheaders(), response.read())

    def get_once(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        """`get`, remembered: preparing a run asks for some pages twice, and on a slow
        build each answer can take seconds."""
        key = (path, repr(sorted((headers or {}).items())))
        if key not in self.replies:
            self.replies[key] = self.get(path, headers)
        return self.replies[key]

    def json(self, path: str) -> Any:
        reply = self.get(path)
        if reply.status != 200:
            raise RuntimeError(f"GET {path} -> {reply.status}: {reply.body[:300]!r}")
        return orjson.loads(reply.body)

    def close(self) -> None:
        self.conn.close()


def import_over_http(port: int, key: str, path: Path) -> dict[str, Any]:
    """Stream the file to POST /v1/imports (chunked: neither side holds the whole file)."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as source:
            while block := source.read(1 << 18):
                yield block

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=24 * 3600)
    headers = {"Content-Type": "application/x-ndjson", "Authorization": f"Bearer {key}"}
    conn.request("POST", "/v1/imports", body=chunks(), headers=headers, encode_chunked=True)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise SystemExit(f"import answered {response.status}: {body[:1000]!r}")
    result: dict[str, Any] = orjson.loads(body)
    return result


# ---- workloads ----------------------------------------------------------------------


def walk_feed(client: Client, depth: int) -> tuple[str, list[str]]:
    """Follow cursors from page 1 down `depth` articles: the cursor there, and a sample of
    public slugs met on the way (spread over the whole depth)."""
    cursor: str | None = None
    seen = 0
    slugs: list[str] = []
    stride = max(depth // SLUG_SAMPLE, 1)
    while seen < depth:
        limit = min(WALK_LIMIT, depth - seen)
        query = f"/v1/articles?lang=uk&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = client.json(query)
        for n, item in enumerate(page["data"], start=seen):
            if n % stride == 0 and len(slugs) < SLUG_SAMPLE:
                slugs.append(item["slug"])
        seen += len(page["data"])
        cursor = page["meta"]["next_cursor"]
        if cursor is None:
            raise SystemExit(f"the feed ends after {seen} articles, before depth {depth}")
    assert cursor is not None
    return cursor, slugs


def search_requests(client: Client, corpus: Corpus) -> tuple[list[load.Request], str | None]:
    """Search requests if this build has a search endpoint (found in its OpenAPI)."""
    spec = client.json("/openapi.json")
    for path, operations in spec.get("paths", {}).items():
        get = operations.get("get")
        params = {p["name"] for p in (get or {}).get("parameters", [])}
        if get and ("search" in path or path == "/v1/articles") and "q" in params:
            if "{" in path:
                continue
            words = _search_words(corpus)
            return [(f"{path}?q={quote(w)}&lang=uk&limit=20", {}) for w in words], None
    return [], "n/a: no search endpoint on this build"


def _search_words(corpus: Corpus, count: int = 20) -> list[str]:
    """Frequent longer Ukrainian words: queries with plenty of matches."""
    counts: dict[str, int] = {}
    for sentence in corpus.uk:
        for word in sentence.split():
            word = word.strip("«»\"'.,:;!?()").lower()
            if len(word) >= 7 and word.isalpha():
                counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: (-counts[w], w))[:count]


WORKLOADS = (
    "feed",
    "deep",
    "tag",
    "feed_uncached",
    "deep_uncached",
    "slug",
    "slug_uncached",
    "304",
    "search",
    "related",
    "related_uncached",
    "sitemap_index_uncached",
    "sitemap_child_uncached",
    "churn",
)


def plan(client: Client, dataset: Dataset, depth: int, only: set[str]) -> list[Workload]:
    cursor, slugs = walk_feed(client, depth)
    page = "/v1/articles?lang=uk&limit=20"
    articles: list[load.Request] = [(f"/v1/articles/{s}", {}) for s in slugs]
    related: list[load.Request] = [(f"/v1/articles/{s}/related?lang=uk&limit=5", {}) for s in slugs]
    workloads = [
        Workload("feed", "1 feed page 1", [(page, {})]),
        Workload(
            "deep", f"2 feed page at cursor depth {depth:,}", [(f"{page}&cursor={cursor}", {})]
        ),
        Workload("tag", "3 tag-filtered feed", [(f"{page}&tag={dataset.tags[0]['slug']}", {})]),
        Workload("feed_uncached", "1u feed page 1, response cache bypassed", [(page, {})]),
        Workload(
            "deep_uncached",
            f"2u page at depth {depth:,}, response cache bypassed",
            [(f"{page}&cursor={cursor}", {})],
        ),
        Workload("slug", "4 article by slug", articles),
        Workload("slug_uncached", "4u article by slug, response cache bypassed", articles),
        Workload("304", "5 conditional GET answered 304", expect=304),
        Workload("search", "6 search"),
        Workload("related", "7 related articles, rotating like 4", related),
        Workload("related_uncached", "7u related articles, response cache bypassed", related),
        Workload(
            "sitemap_index_uncached",
            "9u sitemap index, response cache bypassed",
            [(SITEMAP_INDEX, {})],
        ),
        Workload("sitemap_child_uncached", "9u' a month's article sitemap, cache bypassed"),
        # Measured last (its publishes change page 1): see `churn_run`.
        Workload("churn", "8b feed page 1 under publish churn (1 publish/s)", [(page, {})]),
    ]
    for workload in workloads:
        workload.bust_cache = workload.key.endswith("_uncached")
        if workload.key not in only:
            workload.skipped = "not selected (--only)"
        elif workload.key == "304":
            etags = [(path, client.get_once(path).header("ETag")) for path, _ in articles]
            if all(etag for _, etag in etags):
                workload.requests = [(p, {"If-None-Match": str(e)}) for p, e in etags]
            else:
                workload.skipped = "n/a: no ETag on article responses in this build"
        elif workload.key == "search":
            workload.requests, workload.skipped = search_requests(client, dataset.corpus)
        elif workload.key == "sitemap_child_uncached":
            workload.requests, workload.skipped = sitemap_child_requests(client)
    return workloads


SITEMAP_INDEX = "/v1/sitemaps/index.xml"


def sitemap_child_requests(client: Client) -> tuple[list[load.Request], str | None]:
    """The middle month of the article sitemaps the index lists (a typical full month)."""
    reply = client.get_once(SITEMAP_INDEX)
    if reply.status != 200:
        return [], "n/a: no sitemaps on this build"
    locs = re.findall(rb"<loc>[^<]*(/v1/sitemaps/articles/[^<]+)</loc>", reply.body)
    if not locs:
        return [], "n/a: no article sitemap in the index"
    return [(locs[len(locs) // 2].decode(), {})], None


def capture_responses(client: Client, workloads: list[Workload], out: Path) -> None:
    """The exact bytes the product answers each request with, for the HTTP-ceiling app."""
    stored = []
    for workload in workloads:
        for path, headers in workload.requests:
            response = client.get_once(path, headers)
            if response.status != workload.expect:
                raise SystemExit(f"{path} answered {response.status}, not {workload.expect}")
            parts = urlsplit(path)
            stored.append(
                {
                    "key": response_key(parts.path, parts.query, "If-None-Match" in headers),
                    "status": response.status,
                    "headers": [
                        (k.lower(), v)
                        for k, v in response.headers
                        if k.lower() not in {"date", "server"}
                    ],
                    "body": base64.b64encode(response.body).decode(),
                }
            )
    out.write_bytes(orjson.dumps(stored))


def freshness(port: int, key: str, workers: int) -> dict[str, Any]:
    """Publish through the API, then ask for page 1 on fresh connections (spread over the
    workers): every answer must already lead with the new article."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = {
        "original_lang": "uk",
        "status": "published",
        "published_at": datetime.now(UTC).isoformat(),
        "translations": [{"lang": "uk", "title": "Перевірка свіжості", "body": "<p>Текст.</p>"}],
    }
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    conn.request("POST", "/v1/editor/articles", body=orjson.dumps(body), headers=headers)
    response = conn.getresponse()
    created = orjson.loads(response.read())
    conn.close()
    if response.status != 201:
        raise SystemExit(f"publishing for the freshness check answered {response.status}")
    leading = []
    for _ in range(4 * workers):
        client = Client(port)
        leading.append(client.json("/v1/articles?lang=uk&limit=1")["data"][0]["id"])
        client.close()
    fresh = sum(1 for item in leading if item == created["id"])
    return {"requests": len(leading), "fresh": fresh, "ok": fresh == len(leading)}


# ---- the run ------------------------------------------------------------------------


def measure(
    args: argparse.Namespace,
    server: servers.Server,
    requests: list[load.Request],
    window: servers.Window | None = None,
    *,
    bust_cache: bool = False,
    during: AbstractContextManager[Any] | None = None,
) -> load.LoadResult:
    """wrk's warm-up, then its recorded run (with `during` around it: the publisher)."""
    options: dict[str, Any] = {
        "connections": args.connections,
        "threads": args.threads,
        "bust_cache": bust_cache,
    }
    load.run_wrk(server.port, requests, seconds=args.warmup, **options)
    servers.wait_idle(server)
    sampled = servers.Window()
    sampling = servers.sample_rss(server) if window is not None else nullcontext(sampled)
    with sampling as sampled, during or nullcontext():
        result = load.run_wrk(server.port, requests, seconds=args.duration, **options)
    # Requests wrk gave up on may still be running: let them end before anything else.
    busy_after = servers.wait_idle(server)
    if busy_after > 2:
        _say(f"{server.name} kept working {busy_after:.0f}s after the run")
    result = result.with_stragglers(busy_after)
    if window is None:
        return result
    for pid, size in sampled.worker_max_mb.items():
        window.worker_max_mb[pid] = max(window.worker_max_mb.get(pid, 0.0), size)
    window.total_max_mb = max(window.total_max_mb, sampled.total_max_mb)
    return result


def data_level(args: argparse.Namespace, url: str, port: int, workload: Workload) -> dict[str, Any]:
    """The data ceiling of a workload (and, for the deep page, its OFFSET equivalent)."""
    base_url = f"http://127.0.0.1:{port}"
    captured = data_ceiling.capture(url, workload.requests, workload.expect, base_url)
    figures = data_ceiling.replay(url, captured.cold, args.data_seconds)
    out = {"data_ceiling": {**figures.as_dict(), "warm_statements": max(captured.warm)}}
    if workload.key.startswith("deep"):
        offset = data_ceiling.offset_variant(url, captured.cold[0], args.depth, 20)
        out["offset_data"] = data_ceiling.replay(url, [offset], args.data_seconds).as_dict()
    return out


@dataclass
class Measurer:
    """Measures workloads against the product and both ceilings; a ceiling is measured
    once per request list (cached and uncached variants, and 8a/8b, share theirs)."""

    args: argparse.Namespace
    url: str
    product: servers.Server
    ceiling: servers.Server
    under_load: servers.Window = field(default_factory=servers.Window)
    http: dict[tuple[str, bool], dict[str, Any]] = field(default_factory=dict)
    data: dict[str, dict[str, Any]] = field(default_factory=dict)

    def entry(
        self, workload: Workload, during: AbstractContextManager[Any] | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"key": workload.key, "title": workload.title}
        if workload.skipped:
            return {**entry, "skipped": workload.skipped}
        entry["requests"] = len(workload.requests)
        bust = workload.bust_cache
        entry["product"] = measure(
            self.args,
            self.product,
            workload.requests,
            self.under_load,
            bust_cache=bust,
            during=during,
        ).as_dict()
        same = repr(workload.requests)
        if (same, bust) not in self.http:
            self.http[same, bust] = measure(
                self.args, self.ceiling, workload.requests, bust_cache=bust
            ).as_dict()
        entry["http_ceiling"] = self.http[same, bust]
        if same not in self.data:
            self.data[same] = data_level(self.args, self.url, self.product.port, workload)
        entry.update(self.data[same])
        _say(report.workload_line(entry))
        return entry


def churn_run(
    measurer: Measurer, key: str, workload: Workload, corpus: Corpus, tag: str
) -> list[dict[str, Any]]:
    """8a then 8b, back to back: feed page 1 without churn, then with one publish a second
    through the editor API (drafts prepared first), each publish checked on the next
    request. Run last: the publishes change page 1 and the feeds."""
    args, port = measurer.args, measurer.product.port
    drafts = churn.prepare_drafts(port, key, args.duration + 1, corpus, tag)
    base = Workload("churn_base", "8a feed page 1, no churn (same moment as 8b)", workload.requests)
    entries = [measurer.entry(base)]
    outcome = churn.Outcome()
    during = churn.publishing(port, key, drafts, workload.requests[0][0], outcome)
    entry = measurer.entry(workload, during=during)
    entry["churn"] = {**outcome.as_dict(), "drafts": len(drafts)}
    return [*entries, entry]


def profile_workers(
    args: argparse.Namespace, product: servers.Server, workloads: list[Workload], stem: str
) -> dict[str, Any]:
    """py-spy on every worker during extra (unrecorded) wrk runs of feed page 1 (cached and
    rendered) and of article by slug, once for busy threads and once for the GIL holder;
    raw stacks are kept in bench/results/."""
    if not profile.available():
        return {"skipped": "py-spy not installed (pip install py-spy==0.4.3)"}
    RESULTS.mkdir(exist_ok=True)
    summaries: dict[str, Any] = {}
    for workload in workloads:
        if workload.key not in PROFILED or workload.skipped:
            continue
        for view in ("busy", "gil"):
            name = f"{stem}-profile-{workload.key}-{view}"
            samplers = profile.record(
                product.workers(), args.duration, RESULTS, name, gil=view == "gil"
            )
            load.run_wrk(
                product.port,
                workload.requests,
                seconds=args.duration,
                connections=args.connections,
                threads=args.threads,
                bust_cache=workload.bust_cache,
            )
            servers.wait_idle(product)
            for sampler in samplers:
                sampler.wait(timeout=60)
            files = sorted(RESULTS.glob(f"{name}-*.txt"))
            summaries.setdefault(workload.key, {})[view] = profile.summarize(files)
    return summaries


def load_dataset(
    args: argparse.Namespace, url: str, key: str, product: servers.Server, path: Path
) -> dict[str, Any]:
    """Through the product's own import path; its throughput and the server's memory."""
    if "/v1/imports" not in Client(product.port).json("/openapi.json")["paths"]:
        raise SystemExit("this build has no POST /v1/imports to load the dataset through")
    started = time.perf_counter()
    with servers.sample_rss(product) as window, stand_in_for_autovacuum(url) as autovacuum:
        result = import_over_http(product.port, key, path)
    seconds = time.perf_counter() - started
    if result.get("failed") or result.get("created") != args.articles:
        raise SystemExit(f"import did not create every article: {orjson.dumps(result)[:2000]!r}")
    peaks = product.hwm_mb()
    return {
        "path": "POST /v1/imports (HTTP, chunked NDJSON stream)",
        "articles": args.articles,
        "seconds": seconds,
        "articles_per_s": args.articles / seconds,
        "counts": {k: result.get(k) for k in ("created", "updated", "unchanged", "failed")},
        "autovacuum": autovacuum,
        "peak_rss_mb": {
            "largest_process_vmhwm": max(peaks.values()),
            "per_process_vmhwm": {str(pid): size for pid, size in peaks.items()},
            "tree_total_sampled": window.total_max_mb,
        },
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    load.ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="dopys-bench-", dir=args.tmp))
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "stem": f"{started:%Y-%m-%dT%H%M%S}-{args.db}-{args.articles}",
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_start": os.getloadavg(),
            "python": platform.python_version(),
        },
    }
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        url = stack.enter_context(fresh_database(args.db, workdir))
        migrations.upgrade(url)
        key = write_key(url)
        results["machine"]["database"] = database_version(url)

        corpus = Corpus.load()
        dataset = Dataset(
            corpus, articles=args.articles, seed=args.seed, generated_slugs=args.generated_slugs
        )
        source = args.dataset
        if source is None:
            generating = time.perf_counter()
            source = workdir / "articles.ndjson"
            with source.open("wb") as out:
                out.writelines(dataset.lines())
            results["dataset"] = {"generated_s": time.perf_counter() - generating}
        results.setdefault("dataset", {})["bytes"] = source.stat().st_size
        _say(f"dataset: {args.articles:,} articles, {source.stat().st_size / 1e6:,.0f} MB")

        env = {
            "DATABASE_URL": url,
            # A 1,000,000-article file is larger than the default 2 GB import limit.
            "MAX_IMPORT_BYTES": str(max(source.stat().st_size * 2, Settings().max_import_bytes)),
        }
        product = servers.product(env, args.port, args.workers, workdir)
        stack.callback(product.stop)
        results["import"] = load_dataset(args, url, key, product, source)
        _say(f"import: {report.import_line(results['import'])}")
        results["settle"] = settle(url)

        client = Client(product.port)
        workloads = plan(client, dataset, args.depth, set(args.only.split(",")))
        responses = workdir / "responses.json"
        capture_responses(client, [w for w in workloads if not w.skipped], responses)
        client.close()
        _say(f"prepared: walked {args.depth:,} deep, captured {len(client.replies)} answers")
        ceiling = servers.ceiling(responses, args.port + 1, args.workers, workdir)
        stack.callback(ceiling.stop)

        measurer = Measurer(args, url, product, ceiling)
        results["workloads"] = [
            measurer.entry(w) for w in workloads if w.key != "churn" or w.skipped
        ]
        if args.profile:
            results["profiles"] = profile_workers(args, product, workloads, results["stem"])
        churning = next(w for w in workloads if w.key == "churn")
        if not churning.skipped:
            tag = dataset.tags[0]["slug"]
            results["workloads"] += churn_run(measurer, key, churning, corpus, tag)
        under_load = measurer.under_load
        results["worker_rss_under_load_mb"] = {
            "largest": under_load.max_worker_mb,
            "per_worker": {str(pid): size for pid, size in under_load.worker_max_mb.items()},
        }
        results["freshness"] = freshness(product.port, key, args.workers)
        results["server_errors"] = _log_errors(product, RESULTS / f"{results['stem']}-server.log")
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def _log_errors(server: servers.Server, keep_as: Path) -> dict[str, Any]:
    """How many tracebacks the server logged; its whole log is kept if there are any."""
    log = server.log.read_text(errors="replace")
    count = log.count("Traceback (most recent call last)")
    if count:
        RESULTS.mkdir(exist_ok=True)
        keep_as.write_text(log)
    first = log[log.find("Traceback") :].split("\n\n")[0][-3000:] if count else ""
    return {"tracebacks": count, "first": first, "log": str(keep_as) if count else None}


def _say(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Dopys read-path and import benchmark.")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dataset", type=Path, help="Reuse a generated file (same N, seed).")
    parser.add_argument(
        "--generated-slugs",
        type=float,
        default=0.0,
        help="Share of articles whose lines carry no slug (the importer makes one).",
    )
    parser.add_argument("--depth", type=int, default=50_000, help="Deep-cursor page depth.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
    parser.add_argument("--warmup", type=int, default=2, help="Unrecorded seconds first.")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-seconds", type=float, default=3, help="Data-ceiling loop.")
    parser.add_argument("--port", type=int, default=18700, help="Product; ceiling on +1.")
    parser.add_argument(
        "--only", default=",".join(WORKLOADS), help=f"Workloads to run, of {','.join(WORKLOADS)}."
    )
    parser.add_argument("--profile", action="store_true", help="py-spy feed and slug runs.")
    parser.add_argument("--tmp", type=Path, default=None, help="Where the temp files go.")
    args = parser.parse_args(argv)
    if args.depth >= args.articles:
        parser.error("--depth must be below --articles")
    if not set(args.only.split(",")) <= set(WORKLOADS):
        parser.error(f"--only takes some of {','.join(WORKLOADS)}")
    results = run(args)
    RESULTS.mkdir(exist_ok=True)
    stem = results["stem"]
    (RESULTS / f"{stem}.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    markdown = report.markdown(results)
    (RESULTS / f"{stem}.md").write_text(markdown)
    print(markdown)
    print(f"written: bench/results/{stem}.md and .json")


if __name__ == "__main__":
    main()
