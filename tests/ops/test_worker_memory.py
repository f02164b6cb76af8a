"""What a `dopys serve` worker holds: the modules only some requests need load with the
first of them, so a worker that never sees one never pays for it (issue 15's memory target).
A spawned worker imports the CLI module again, so the check starts there, as it does."""

import json
import subprocess
import sys

from sqlalchemy import Engine

from tests.processes import ROOT, cli_env

# Alembic (migrations), the webhook client (httpcore2 under the outbound guard), feed
# parsing (imports), feedgen with lxml (RSS and Atom), the search analysers and their
# dictionary.
LAZY = [
    "alembic",
    "httpx2",
    "httpcore2",
    "feedparser",
    "charset_normalizer",
    "feedgen",
    "pymorphy3",
    "Stemmer",
]

_WORKER = """
import json, sys
import app.cli
from app.main import create_app

app = create_app()
loaded = lambda: sorted(m for m in LAZY if m in sys.modules)
at_start = loaded()
from fastapi.testclient import TestClient  # the test's own HTTP client loads httpx2

with TestClient(app) as client:
    statuses = [
        client.get("/v1/search", params={"q": "війна"}).status_code,
        client.get("/v1/feeds/uk.rss").status_code,
    ]
print(json.dumps({"at_start": at_start, "statuses": statuses, "after": loaded()}))
"""


def test_a_worker_loads_search_and_feed_modules_on_first_use_and_never_the_cli_s(
    database_url: str, db: Engine
) -> None:
    script = f"LAZY = {LAZY!r}\n{_WORKER}"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=cli_env(database_url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["at_start"] == []
    assert seen["statuses"] == [200, 200]
    assert seen["after"] == ["Stemmer", "feedgen", "httpx2", "pymorphy3"]
