"""Issue 16, finding 10: an export cut by a lost database connection ended as a 200 with a
short body that looked complete. Now the trailer line is written only after the last page
was read, so a cut stream lacks it, and `dopys export` removes the partial file."""

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.main import create_app
from tests.imports.conftest import run_cli
from tests.imports.helpers import NDJSON, article_line, ndjson
from tests.reliability.conftest import bearer, live_server, new_key
from tests.reliability.tcp_proxy import TcpProxy

ARTICLES = 1_100  # three pages of 500
# The query of every page after the first (app.exports.repository.article_page).
NEXT_PAGE_SQL = b"WHERE articles.id >"


@pytest.fixture
def proxy(database_url: str, db: Engine) -> Iterator[TcpProxy]:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("cutting the connection needs a database server (PostgreSQL)")
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as running:
        yield running


@pytest.fixture
def server(database_url: str, proxy: TcpProxy) -> Iterator[str]:
    """The API on a real uvicorn, every database connection through the proxy."""
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(
        database_url=url.render_as_string(hide_password=False),
        database_connect_timeout=2,
        import_rate_limit_per_minute=0,
        import_rate_limit_per_ip_per_minute=0,
    )
    with live_server(create_app(settings)) as base:
        yield base


def test_an_export_cut_by_a_lost_database_connection_has_no_trailer(
    server: str,
    proxy: TcpProxy,
    sessions: sessionmaker[Session],
    database_url: str,
    tmp_path: Path,
) -> None:
    secret = new_key(sessions)
    with httpx2.Client(base_url=server, timeout=60) as http:
        imported = http.post(
            "/v1/imports",
            content=ndjson(article_line(n) for n in range(ARTICLES)),
            headers={**bearer(secret), **NDJSON},
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] == ARTICLES

        proxy.drop_on(NEXT_PAGE_SQL)
        received = bytearray()
        with (
            pytest.raises(httpx2.RemoteProtocolError),
            http.stream("GET", "/v1/exports", headers=bearer(secret)) as response,
        ):
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += chunk
        assert proxy.dropped == 1
        lines = bytes(received).splitlines()
        assert lines[0] == b'{"export":{"format":"dopys-articles","version":1}}'
        assert len(lines) == 1 + 500  # the header and the first page, nothing after
        assert b'"complete"' not in received

        whole = http.get("/v1/exports", headers=bearer(secret))  # the connection is back
        assert whole.text.splitlines()[-1] == f'{{"export":{{"count":{ARTICLES},"complete":true}}}}'

    out = tmp_path / "backup.ndjson"
    proxy.drop_on(NEXT_PAGE_SQL)
    result = run_cli(database_url, "export", str(out), "--url", server, "--key", secret)
    assert proxy.dropped == 2
    assert result.returncode == 2, result.stderr
    assert "Export failed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
