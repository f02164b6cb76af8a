"""A real uvicorn serving the test database, and the `dopys` command run as a process."""

import subprocess
from collections.abc import Iterator

import pytest

from tests.processes import DOPYS, ROOT, cli_env, serving


def run_cli(
    database_url: str, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [DOPYS, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env=cli_env(database_url),
        cwd=ROOT,
        timeout=120,
    )
    return result


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API in its own process, one per database for the whole run (the tests empty the
    tables under it as usual)."""
    with serving(database_url, tmp_path_factory.mktemp("server") / "server.log") as url:
        yield url
