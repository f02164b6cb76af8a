"""Concurrent load against a real uvicorn on loopback: 50 readers, 5 editors and one NDJSON
import of 300 articles, for a bounded time. No request may get a 5xx (or fail to connect),
and the database must end up holding exactly what was acknowledged: every acknowledged
write, nothing else.

The editors share articles for edits (so row locks are contended: a lost update would show
as a version too low), while each editor alone publishes, unpublishes and deletes its own
(so the final public set is known exactly).
"""

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx2
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from app.models import Article
from tests.reliability.conftest import bearer, live_server, new_key

SECONDS = float(os.environ.get("DOPYS_LOAD_SECONDS", "10"))
READERS, EDITORS = 50, 5
TAGS = ["news", "war", "economy"]
IMPORT_LINES = 300


@dataclass
class Ledger:
    """What the server acknowledged, kept under a lock by every worker."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)  # answered requests per worker
    errors: list[str] = field(default_factory=list)
    alive: dict[str, str] = field(default_factory=dict)  # id -> owning editor
    public: set[str] = field(default_factory=set)
    bumps: Counter[str] = field(default_factory=Counter)  # acknowledged version bumps
    slugs: list[str] = field(default_factory=list)
    writes: int = 0  # acknowledged changes: each takes one change number
    imported: int = 0  # articles the import reported created

    def record(self, kind: str, response: httpx2.Response) -> None:
        with self.lock:
            self.statuses[(kind, response.status_code)] += 1
            self.done[threading.current_thread().name] += 1
            if response.status_code >= 500:
                self.errors.append(f"{kind}: {response.status_code} {response.text[:300]}")


def _reader(url: str, ledger: Ledger, stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    with httpx2.Client(base_url=url, timeout=30) as http:
        while not stop.is_set():
            try:
                choice = rng.random()
                if choice < 0.5:
                    params: dict[str, Any] = {"limit": rng.choice([5, 20, 100])}
                    if rng.random() < 0.3:
                        params["tag"] = rng.choice(TAGS)
                    page = http.get("/v1/articles", params=params)
                    ledger.record("feed", page)
                    cursor = page.json()["meta"]["next_cursor"] if page.is_success else None
                    if cursor:
                        ledger.record(
                            "feed", http.get("/v1/articles", params={**params, "cursor": cursor})
                        )
                elif choice < 0.85:
                    with ledger.lock:
                        slug = rng.choice(ledger.slugs) if ledger.slugs else "none"
                    ledger.record("article", http.get(f"/v1/articles/{slug}"))
                else:
                    ledger.record(
                        "taxonomy",
                        http.get(rng.choice(["/v1/tags", "/v1/sources", "/v1/tags/news"])),
                    )
            except httpx2.HTTPError as exc:
                with ledger.lock:
                    ledger.errors.append(f"reader: {exc!r}")


def _editor(url: str, ledger: Ledger, stop: threading.Event, name: str, key: str) -> None:
    rng = random.Random(name)
    headers = bearer(key)
    n = 0
    with httpx2.Client(base_url=url, timeout=30, headers=headers) as http:
        while not stop.is_set():
            n += 1
            try:
                _edit_once(http, ledger, rng, name, n)
            except httpx2.HTTPError as exc:
                with ledger.lock:
                    ledger.errors.append(f"{name}: {exc!r}")


def _edit_once(http: httpx2.Client, ledger: Ledger, rng: random.Random, name: str, n: int) -> None:
    with ledger.lock:
        mine = [i for i, owner in ledger.alive.items() if owner == name]
        anyone = list(ledger.alive)
    choice = rng.random()
    if choice < 0.35 or not mine:
        title = f"{name} допис {n}"  # same words across editors: slug claims collide
        response = http.post(
            "/v1/editor/articles",
            json={
                "original_lang": "uk",
                "status": "published",
                "tags": rng.sample(TAGS, rng.randint(0, 2)),
                "translations": [{"lang": "uk", "title": title.replace(name, "редактор")}],
            },
        )
        ledger.record("create", response)
        if response.status_code == 201:
            body = response.json()
            with ledger.lock:
                ledger.alive[body["id"]] = name
                ledger.public.add(body["id"])
                ledger.slugs.append(body["translations"][0]["slug"])
                ledger.writes += 1
        return
    if choice < 0.75:  # edits of anyone's article: contended row locks
        target = rng.choice(anyone)
        if rng.random() < 0.5:
            response = http.patch(
                f"/v1/editor/articles/{target}",
                json={"cover_image_url": f"https://example.org/{name}/{n}.jpg"},
            )
        else:
            response = http.put(
                f"/v1/editor/articles/{target}/translations/en",
                json={"title": f"Edit {n} by {name}", "body": f"<p>{n}</p>"},
            )
        ledger.record("edit", response)
        if response.is_success:
            with ledger.lock:
                ledger.bumps[target] += 1
                ledger.writes += 1
        return
    target = rng.choice(mine)  # state changes only on one's own: the final state is known
    if choice < 0.9:
        action = "unpublish" if target in ledger.public else "publish"
        response = http.post(f"/v1/editor/articles/{target}/{action}")
        ledger.record(action, response)
        if response.is_success:
            with ledger.lock:
                ledger.bumps[target] += 1
                ledger.writes += 1
                (ledger.public.discard if action == "unpublish" else ledger.public.add)(target)
        return
    response = http.delete(f"/v1/editor/articles/{target}")
    ledger.record("delete", response)
    if response.status_code == 204:
        with ledger.lock:
            del ledger.alive[target]
            ledger.public.discard(target)
            ledger.writes += 1


def _import(url: str, ledger: Ledger, key: str) -> None:
    lines = "\n".join(
        f'{{"external_id": "load-{i}", "original_lang": "uk", "status": "published", '
        f'"translations": [{{"lang": "uk", "title": "Імпорт {i}"}}]}}'
        for i in range(IMPORT_LINES)
    )
    with httpx2.Client(base_url=url, timeout=120, headers=bearer(key)) as http:
        response = http.post(
            "/v1/imports",
            content=lines.encode(),
            headers={"Content-Type": "application/x-ndjson"},
        )
    ledger.record("import", response)
    assert response.status_code == 200, response.text
    with ledger.lock:
        ledger.imported = response.json()["created"]


def test_readers_and_editors_at_once_get_no_5xx_and_lose_no_write(
    database_url: str, db: Engine, sessions: sessionmaker[Session], capsys: Any
) -> None:
    app = create_app(Settings(database_url=database_url))
    ledger = Ledger()
    keys = [new_key(sessions) for _ in range(EDITORS + 1)]
    stop = threading.Event()
    with live_server(app) as url:
        with httpx2.Client(base_url=url, headers=bearer(keys[0])) as http:
            for tag in TAGS:
                assert (
                    http.post(
                        "/v1/editor/tags", json={"slug": tag, "names": {"uk": tag}}
                    ).status_code
                    == 201
                )
            assert (
                http.post(
                    "/v1/editor/sources", json={"slug": "isw", "names": {"en": "ISW"}}
                ).status_code
                == 201
            )
        with Session(db) as session:
            seq_before = int(session.execute(text("SELECT seq FROM sync_state")).scalar_one())
        threads = [
            threading.Thread(target=_reader, args=(url, ledger, stop, i), name=f"reader-{i}")
            for i in range(READERS)
        ] + [
            threading.Thread(
                target=_editor, args=(url, ledger, stop, f"e{i}", keys[i + 1]), name=f"editor-{i}"
            )
            for i in range(EDITORS)
        ]
        threads.append(threading.Thread(target=_import, args=(url, ledger, keys[0]), name="import"))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
        with httpx2.Client(base_url=url) as http:
            feed = http.get("/v1/articles", params={"limit": 100}).json()
            feed_ids, cursor = [i["id"] for i in feed["data"]], feed["meta"]["next_cursor"]
            while cursor:
                page = http.get("/v1/articles", params={"limit": 100, "cursor": cursor}).json()
                feed_ids += [i["id"] for i in page["data"]]
                cursor = page["meta"]["next_cursor"]

    with Session(db) as session:
        stored = {str(a.id): a.version for a in session.scalars(select(Article))}
        imported = {
            str(i)
            for i in session.scalars(select(Article.id).where(Article.external_id.isnot(None)))
        }
        seq_after = int(session.execute(text("SELECT seq FROM sync_state")).scalar_one())
    requests = sum(ledger.statuses.values())
    with capsys.disabled():
        print(
            f"\nload [{db.dialect.name}]: {requests} requests in {elapsed:.1f} s "
            f"({requests / elapsed:.0f}/s), {ledger.writes} acknowledged writes, "
            f"{ledger.imported} articles imported, "
            f"{len(stored)} articles, {len(feed_ids)} public; "
            + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(ledger.statuses.items()))
        )
    assert ledger.errors == []
    assert all(status < 500 for _, status in ledger.statuses)
    assert not [t for t in threads if t.is_alive()]
    assert ledger.imported == len(imported) == IMPORT_LINES
    assert set(stored) == set(ledger.alive) | imported
    assert stored == {i: 1 + ledger.bumps[i] for i in ledger.alive} | dict.fromkeys(imported, 1)
    assert sorted(feed_ids) == sorted(ledger.public | imported)
    assert seq_after - seq_before == ledger.writes + IMPORT_LINES  # one change number each
    # A load, not a trickle: every one of the 55 workers was answered.
    assert len(ledger.done) == len(threads) and min(ledger.done.values()) >= 1
