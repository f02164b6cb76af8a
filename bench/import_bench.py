"""Import benchmark: a generated N-line NDJSON file (real bilingual news from
../shared/data/ntrex-en-uk.jsonl, cycled) into a fresh SQLite and/or PostgreSQL database,
through a real uvicorn (POST /v1/imports) and through the CLI.

For each database it reports articles/s (wall clock, and per CPU-second of the server,
which a busy machine does not skew) for: the first API import (all created), an API
re-run (all unchanged), a CLI re-run against the server, a first CLI import into a second
fresh database (local, the same service) and its re-run; the article count after each; and
the peak RSS (VmHWM) of the uvicorn process and of the local CLI process.

    .venv/bin/python bench/import_bench.py                       # 100,000 lines, both DBs
    .venv/bin/python bench/import_bench.py --lines 1000000 --db sqlite --api-only --paragraphs 2
    .venv/bin/python bench/import_bench.py --lines 10000 --api-only --webhook   # one subscription

With --webhook one webhook subscription is active during the imports (a receiver on
loopback answering 204): the import rate with the server's delivery worker sending every
`article.published`, against the rate without (the events are written either way).

With --api-only the lines are generated on the fly and streamed (no file on disk), which
is how the 1,000,000-line memory figure is taken (bodies cut to two paragraphs there, so
that it finishes in minutes on a shared machine: memory depends on the line count, the
batch and the largest line, not on the file's size).
"""

import argparse
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import orjson
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core import migrations  # noqa: E402
from app.core.config import Settings  # noqa: E402
from app.core.db import create_db_engine, make_session_factory, unit_of_work  # noqa: E402
from app.keys.service import create_key  # noqa: E402
from app.models import Article, KeyScope, WebhookDelivery  # noqa: E402
from app.webhooks import service as webhooks  # noqa: E402
from app.webhooks.schemas import WebhookCreate  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ntrex-en-uk.jsonl"
POSTGRES_ADMIN = os.environ.get(
    "DOPYS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DOPYS = str(Path(sys.executable).parent / "dopys")
CHUNK = 1 << 20


def lines(count: int, paragraphs: int | None = None) -> Iterator[bytes]:
    """`count` NDJSON lines: bilingual, tagged by outlet, titles numbered so slugs differ;
    bodies cut to their first `paragraphs` when given."""
    docs = [json.loads(x) for x in DATA.read_text(encoding="utf-8").splitlines()]
    bodies = [
        {
            lang: "".join(f"<p>{p}</p>" for p in doc[lang]["body"].split("\n")[:paragraphs])
            for lang in ("en", "uk")
        }
        for doc in docs
    ]
    for n in range(count):
        i = n % len(docs)
        doc = docs[i]
        yield (
            orjson.dumps(
                {
                    "external_id": f"bench-{doc['doc_id']}-{n}",
                    "original_lang": "en",
                    "status": "published",
                    "published_at": _moment(n),
                    "tags": [{"slug": doc["outlet"], "names": {"en": doc["outlet"].upper()}}],
                    "translations": [
                        {
                            "lang": "en",
                            "title": f"{n} · {doc['en']['title']}",
                            "body": bodies[i]["en"],
                        },
                        {
                            "lang": "uk",
                            "title": f"{n} · {doc['uk']['title']}",
                            "body": bodies[i]["uk"],
                        },
                    ],
                }
            )
            + b"\n"
        )


def _moment(n: int) -> str:
    """Spread over 15 years, so the feed has depth."""
    return f"20{10 + n % 15}-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z"


def chunks(source: Iterator[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for line in source:
        buffer += line
        if len(buffer) >= CHUNK:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


class Database:
    """A fresh, migrated database with a write key; dropped afterwards."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.url = f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}"
        else:
            name = f"dopys_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            with create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.url = make_url(POSTGRES_ADMIN).set(database=name).render_as_string(False)
        migrations.upgrade(self.url)
        self.engine = create_db_engine(self.url)
        with unit_of_work(make_session_factory(self.engine, write=True)) as session:
            self.key = create_key(session, name="bench", scope=KeyScope.WRITE).secret

    def subscribe(self, url: str) -> None:
        settings = Settings(database_url=self.url, webhooks_allow_private=True)
        with unit_of_work(make_session_factory(self.engine, write=True)) as session:
            webhooks.create(session, settings, WebhookCreate(url=url))

    def delivered(self) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).where(WebhookDelivery.state == "delivered")
            return int(conn.scalar(query) or 0)

    def articles(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Article)) or 0)

    def drop(self) -> None:
        self.engine.dispose()
        if self.backend == "postgresql":
            name = make_url(self.url).database
            with create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Server:
    """uvicorn in its own process; its RSS sampled while it works."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host",
             "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level", "warning"],
            env={**os.environ, "DATABASE_URL": database_url, **(env or {})}, cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        self.samples: list[int] = []

    def status_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server so far (load-independent, unlike wall time)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def sample(self, stop: threading.Event) -> None:
        while not stop.wait(0.5) and self.process.poll() is None:
            self.samples.append(self.status_kb("VmRSS"))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def api_import(server: Server, key: str, body: Iterator[bytes]) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    response = httpx2.post(
        f"{server.url}/v1/imports",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"},
        timeout=httpx2.Timeout(3600, connect=10),
    )
    response.raise_for_status()
    return response.json(), time.monotonic() - started


def cli_import(database_url: str, *args: str) -> tuple[str, float, int]:
    """(summary, seconds, peak RSS of the CLI process in KB)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [DOPYS, "import", *args],
        env={**os.environ, "DATABASE_URL": database_url, "COLUMNS": "120"},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, output
    summary = next(line for line in output.splitlines() if line.startswith("│"))
    return " ".join(summary.replace("│", " ").split()), elapsed, usage.ru_maxrss


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def receiver() -> tuple[http.server.ThreadingHTTPServer, str]:
    """A webhook receiver on loopback that accepts everything."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def bench(
    backend: str,
    count: int,
    workdir: Path,
    api_only: bool,
    paragraphs: int | None,
    webhook: bool = False,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "db": backend,
        "lines": count,
        "paragraphs": paragraphs or "all",
        "webhook_subscriptions": int(webhook),
    }
    db = Database(backend, workdir)
    hook = receiver() if webhook else None
    if hook is not None:
        db.subscribe(hook[1])
    path = workdir / "bench.ndjson"
    if not api_only and not path.exists():
        with path.open("wb") as out:
            for chunk in chunks(lines(count, paragraphs)):
                out.write(chunk)
    server = Server(db.url, {"WEBHOOKS_ALLOW_PRIVATE": "true"})
    try:
        result["server_rss_start_mb"] = round(server.status_kb("VmRSS") / 1024)
        stop = threading.Event()
        sampler = threading.Thread(target=server.sample, args=(stop,), daemon=True)
        sampler.start()
        for run in ("api_first", "api_rerun"):
            body = chunks(lines(count, paragraphs)) if api_only else _read(path)
            cpu = server.cpu_seconds()
            report, seconds = api_import(server, db.key, body)
            cpu = server.cpu_seconds() - cpu
            summary = {k: report[k] for k in ("created", "updated", "unchanged", "failed")}
            result[run] = {
                **summary,
                "seconds": round(seconds, 1),
                "articles_per_s": round(count / seconds),
                "server_cpu_s": round(cpu, 1),
                "articles_per_server_cpu_s": round(count / cpu),
                "articles": db.articles(),
            }
        if not api_only:
            line, seconds, _ = cli_import(db.url, str(path), "--url", server.url, "--key", db.key)
            result["cli_remote_rerun"] = {
                "summary": line,
                "seconds": round(seconds, 1),
                "articles_per_s": round(count / seconds),
            }
        if hook is not None:
            started = time.monotonic()
            while db.delivered() < count and time.monotonic() - started < 600:
                time.sleep(0.5)
            result["webhooks_delivered"] = db.delivered()
            result["webhooks_drained_s_after_reruns"] = round(time.monotonic() - started, 1)
            hook[0].shutdown()
        stop.set()
        sampler.join()
        result["server_peak_rss_mb"] = round(server.status_kb("VmHWM") / 1024)
        third = len(server.samples) // 3
        result["server_rss_mb_by_third"] = [
            round(max(server.samples[i * third : (i + 1) * third] or [0]) / 1024) for i in range(3)
        ]
    finally:
        server.stop()
        db.drop()
    if not api_only:
        local = Database(backend, workdir)
        try:
            for run in ("cli_local_first", "cli_local_rerun"):
                line, seconds, rss = cli_import(local.url, str(path))
                result[run] = {
                    "summary": line,
                    "seconds": round(seconds, 1),
                    "articles_per_s": round(count / seconds),
                    "articles": local.articles(),
                    "peak_rss_mb": round(rss / 1024),
                }
        finally:
            local.drop()
    return result


def _read(path: Path) -> Iterator[bytes]:
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--api-only", action="store_true", help="Stream generated lines.")
    parser.add_argument("--paragraphs", type=int, help="Cut bodies to this many paragraphs.")
    parser.add_argument("--webhook", action="store_true", help="One webhook subscription.")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory(prefix="dopys-bench-") as tmp:
        for backend in backends:
            result = bench(
                backend, args.lines, Path(tmp), args.api_only, args.paragraphs, args.webhook
            )
            print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
