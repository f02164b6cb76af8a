"""An import killed or cut off midway leaves whole batches; re-running completes it once."""

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
from sqlalchemy import Engine, func, select

from app.models import Article, ArticleTranslation
from tests.imports.conftest import DOPYS, ROOT, cli_env, run_cli
from tests.imports.helpers import NDJSON, article_line, counts, ndjson


def _stored(db: Engine) -> tuple[int, int, int]:
    """(articles, distinct external ids, translations)."""
    with db.connect() as conn:
        articles = conn.scalar(select(func.count()).select_from(Article))
        distinct = conn.scalar(select(func.count(func.distinct(Article.external_id))))
        translations = conn.scalar(select(func.count()).select_from(ArticleTranslation))
    return int(articles or 0), int(distinct or 0), int(translations or 0)


def _wait_for(db: Engine, at_least: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 60
    while _stored(db)[0] < at_least:
        assert process is None or process.poll() is None, "the import ended before the kill"
        assert time.monotonic() < deadline, "the import made no progress"
        time.sleep(0.01)


def test_killing_the_cli_midway_then_rerunning_stores_each_article_once(
    db: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.ndjson"
    path.write_bytes(ndjson(article_line(n) for n in range(4000)))
    process = subprocess.Popen(
        [DOPYS, "import", str(path), "--batch-size", "40"],
        env=cli_env(database_url), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for(db, 40, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)

    done, _, translations = _stored(db)
    assert 0 < done < 4000
    assert done % 40 == 0  # whole batches only
    assert translations == 2 * done

    rerun = run_cli(database_url, "import", str(path))

    assert rerun.returncode == 0, rerun.stderr
    assert f"│ {4000 - done:<7} │ 0       │ {done:<9} │ 0      │" in rerun.stdout
    assert _stored(db) == (4000, 4000, 8000)


def test_a_client_that_disconnects_midway_leaves_whole_batches_and_a_rerun_completes_it(
    db: Engine, editor_headers: dict[str, str], live_server: str
) -> None:
    lines = [ndjson([article_line(n)]) for n in range(1400)]

    def cut_off() -> Iterator[bytes]:
        yield b"".join(lines[:1200])
        _wait_for(db, 1000)  # two batches of 500 are in; the third is still being sent
        raise ConnectionAbortedError("the editor's laptop went to sleep")

    with contextlib.suppress(ConnectionAbortedError):
        httpx2.post(
            f"{live_server}/v1/imports", content=cut_off(), headers={**editor_headers, **NDJSON}
        )
    time.sleep(0.5)  # let the server notice; nothing more may be written
    assert _stored(db) == (1000, 1000, 2000)

    report = httpx2.post(
        f"{live_server}/v1/imports", content=b"".join(lines), headers={**editor_headers, **NDJSON},
        timeout=60,
    ).json()  # fmt: skip

    assert counts(report) == (400, 0, 1000, 0)
    assert _stored(db) == (1400, 1400, 2800)
