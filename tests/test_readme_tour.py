"""The README's tour, run as written: every ```sh block from "A tour with curl" up to
"Operating it", in order, by bash, against a real `dopys serve` on a fresh database with
the demo loaded (as `scripts/serve` leaves it), so the tour cannot drift from the server.

Only the addresses change: `localhost:8000` becomes the test server's and `localhost:9000`
the test receiver's. Every curl fails on an HTTP error (`--fail-with-body`), every command
on a non-zero exit (`set -euo pipefail`), and each `# -> A … B` comment is checked: the
output of the commands since the previous check holds A, then B."""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from app.core.db import unit_of_work
from app.demo.service import load_demo
from tests.processes import DOPYS, ROOT, serving
from tests.webhooks.receiver import receiving

README = ROOT / "README.md"
TOUR_START, TOUR_END = "## A tour with curl", "## Operating it"
API, RECEIVER = "localhost:8000", "localhost:9000"
EXPECT = re.compile(r"(?:^|\s)# -> (.*)$")
MARK = "@@tour-check {}@@"

# Runs before the tour: strict bash, curl failing on 4xx/5xx, the trace kept apart from the
# output the checks read.
PRELUDE = """\
set -euo pipefail
exec 9>"$TOUR_TRACE"; BASH_XTRACEFD=9; PS4='+ $EPOCHREALTIME '; set -x
curl() { command curl --fail-with-body --max-time 30 "$@"; }
"""


@dataclass(frozen=True)
class Check:
    block: int
    line: str  # the README line that states it
    fragments: list[str]


def tour_blocks(readme: str) -> list[str]:
    """The ```sh blocks of the tour's sections, in order."""
    tour = readme.split(TOUR_START, 1)[1].split(TOUR_END, 1)[0]
    return re.findall(r"^```sh\n(.*?)^```$", tour, flags=re.MULTILINE | re.DOTALL)


def tour_script(blocks: list[str], api: str, receiver: str) -> tuple[str, list[Check]]:
    """One bash script of the blocks, a marker printed after each `# ->` line, and the
    checks in marker order."""
    lines, checks = [PRELUDE], []
    for number, block in enumerate(blocks, 1):
        for line in block.replace(API, api).replace(RECEIVER, receiver).splitlines():
            lines.append(line)
            found = EXPECT.search(line)
            if found:
                checks.append(Check(number, line.strip(), found.group(1).strip().split(" … ")))
                lines.append(f"echo; echo '{MARK.format(len(checks) - 1)}'")
    return "\n".join(lines) + "\n", checks


def failed_checks(output: str, checks: list[Check]) -> list[str]:
    """Each check whose stretch of output lacks its fragments (in order), or was not reached."""
    stretches = re.split(r"^@@tour-check (\d+)@@$", output, flags=re.MULTILINE)
    seen = {int(stretches[i + 1]): stretches[i] for i in range(0, len(stretches) - 1, 2)}
    failures = []
    for index, check in enumerate(checks):
        if index not in seen:
            failures.append(f"block {check.block}: not reached: {check.line}")
            continue
        position = 0
        for fragment in check.fragments:
            position = seen[index].find(fragment, position)
            if position < 0:
                failures.append(
                    f"block {check.block}: {check.line}\n  {fragment!r} not in:\n{seen[index]}"
                )
                break
            position += len(fragment)
    return failures


def test_the_tour_finds_its_blocks_and_checks() -> None:
    blocks = tour_blocks(README.read_text())
    script, checks = tour_script(blocks, "127.0.0.1:1", "127.0.0.1:2")
    assert len(blocks) >= 6 and len(checks) >= 20
    assert "localhost:8" not in script and "localhost:9" not in script
    assert failed_checks("x\nA b C\n@@tour-check 0@@\n", [Check(1, "", ["A", "C"])]) == []
    assert failed_checks("C A\n@@tour-check 0@@\n", [Check(1, "", ["A", "C"])]) != []


@pytest.fixture
def demo(sessions: sessionmaker[Session], database_url: str) -> str:
    """The test database as `scripts/serve` leaves it: migrated, emptied, demo loaded."""
    with unit_of_work(sessions) as session:
        load_demo(session)
    return database_url


def test_the_readme_tour_runs_as_written(demo: str, tmp_path: Path) -> None:
    # The tour calls `.venv/bin/dopys` from the repository's root: a working directory of
    # its own with that path, so nothing it writes lands in the checkout.
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(Path(DOPYS).parent)
    trace = tmp_path / "trace.log"
    # The server as the README says to start it for webhooks; the shell gets only what the
    # tour itself exports (WEBHOOKS_ALLOW_PRIVATE included), and DATABASE_URL: a reader's
    # CLI finds the database `scripts/serve` made at the root, this one is named.
    server_env = {"WEBHOOKS_WORKER": "true", "WEBHOOKS_ALLOW_PRIVATE": "true"}
    shell_env = {k: v for k, v in os.environ.items() if not k.startswith("WEBHOOKS_")}
    shell_env |= {"DATABASE_URL": demo, "COLUMNS": "200", "TOUR_TRACE": str(trace)}
    with receiving() as receiver, serving(demo, tmp_path / "serve.log", **server_env) as url:
        script, checks = tour_script(
            tour_blocks(README.read_text()),
            url.removeprefix("http://"),
            receiver.url.removeprefix("http://").removesuffix("/hook"),
        )
        run = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env=shell_env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=180,
        )  # fmt: skip
    output = run.stdout
    trail = "\n".join(trace.read_text().splitlines()[-5:])
    assert run.returncode == 0, f"the tour stopped at:\n{trail}\n\noutput:\n{output[-3000:]}"
    assert failed_checks(output, checks) == []
    assert "webhook.ping" in receiver.types()
