"""Publish churn: one publish a second through the editor API while wrk reads feed page 1.

Drafts are created beforehand (`POST /v1/editor/articles`), so the measured write is the
publish itself (`POST /v1/editor/articles/{id}/publish`), as an editor's newsroom does it.
Right after each publish returns, the harness asks on new connections (which land on any
worker) for the feed page wrk reads and for the article by slug: the page must lead with
the new article and the article must answer 200. That is "visible on the next request"."""

import http.client
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

from bench.dataset import Corpus

TIMEOUT_S = 30
FAILURES_KEPT = 5  # a few descriptions of what went wrong, for the report


@dataclass(frozen=True)
class Draft:
    id: str
    slug: str


@dataclass
class Outcome:
    attempted: int = 0
    publish_ms: list[float] = field(default_factory=list)
    non_2xx: int = 0  # publishes and visibility checks answered with a status >= 300
    visible: int = 0  # publishes whose feed page and article showed them at once
    failures: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        if len(self.failures) < FAILURES_KEPT:
            self.failures.append(what)

    def as_dict(self) -> dict[str, Any]:
        count = len(self.publish_ms)
        return {
            "publishes": self.attempted,
            "visible": self.visible,
            "non_2xx": self.non_2xx,
            "publish_p50_ms": statistics.median(self.publish_ms) if count else 0.0,
            "publish_max_ms": max(self.publish_ms, default=0.0),
            "failures": self.failures,
        }


def _call(
    port: int, method: str, path: str, key: str | None = None, body: Any = None
) -> tuple[int, bytes]:
    """One request on its own connection (so consecutive checks spread over the workers)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    headers = {"Connection": "close"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    try:
        conn.request(
            method, path, body=None if body is None else orjson.dumps(body), headers=headers
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def prepare_drafts(port: int, key: str, count: int, corpus: Corpus, tag: str) -> list[Draft]:
    """`count` draft articles shaped like the dataset's (uk title and body, the most used
    tag): invisible to readers until published."""
    drafts = []
    for n in range(count):
        sentences = [corpus.uk[(n * 7 + k) % len(corpus.uk)] for k in range(6)]
        body = {
            "original_lang": "uk",
            "tags": [tag],
            "translations": [
                {
                    "lang": "uk",
                    "title": f"Оновлення {n + 1}: {sentences[0][:90]}",
                    "excerpt": sentences[1][:300],
                    "body": "".join(f"<p>{s}</p>" for s in sentences[1:]),
                }
            ],
        }
        status, reply = _call(port, "POST", "/v1/editor/articles", key, body)
        if status != 201:
            raise SystemExit(
                f"creating a draft for the churn run answered {status}: {reply[:300]!r}"
            )
        created = orjson.loads(reply)
        drafts.append(Draft(created["id"], created["translations"][0]["slug"]))
    return drafts


def _publish_and_check(port: int, key: str, draft: Draft, page: str, outcome: Outcome) -> None:
    outcome.attempted += 1
    started = time.perf_counter()
    status, reply = _call(port, "POST", f"/v1/editor/articles/{draft.id}/publish", key)
    outcome.publish_ms.append((time.perf_counter() - started) * 1000)
    if status != 200:
        outcome.non_2xx += 1
        outcome.fail(f"publish {draft.id} -> {status}: {reply[:200]!r}")
        return
    feed_status, feed = _call(port, "GET", page)
    article_status, article = _call(port, "GET", f"/v1/articles/{draft.slug}")
    outcome.non_2xx += (feed_status >= 300) + (article_status >= 300)
    leading = orjson.loads(feed)["data"][0]["id"] if feed_status == 200 else None
    shown = orjson.loads(article).get("id") if article_status == 200 else None
    if leading == draft.id and shown == draft.id:
        outcome.visible += 1
    else:
        outcome.fail(
            f"after publishing {draft.id}: page 1 led with {leading} ({feed_status}), "
            f"article by slug gave {shown} ({article_status})"
        )


@contextmanager
def publishing(
    port: int, key: str, drafts: list[Draft], page: str, outcome: Outcome, every_s: float = 1.0
) -> Iterator[Outcome]:
    """While the block runs, publish the next draft every `every_s` (on a fixed schedule,
    starting at once) and check each is visible, into `outcome`; stops when the block ends."""
    stop = threading.Event()

    def publish_all() -> None:
        started = time.monotonic()
        for n, draft in enumerate(drafts):
            if stop.wait(max(0.0, started + n * every_s - time.monotonic())):
                return
            try:
                _publish_and_check(port, key, draft, page, outcome)
            except (OSError, http.client.HTTPException) as error:  # counted, not fatal
                outcome.non_2xx += 1
                outcome.fail(f"publishing {draft.id}: {error!r}")

    thread = threading.Thread(target=publish_all, name="bench-publisher", daemon=True)
    thread.start()
    try:
        yield outcome
    finally:
        stop.set()
        thread.join()
