"""Ctrl-C on `dopys import`: it stops once the batch being written is committed, and says
exactly what was stored and how to finish."""

import re
import signal
import subprocess
from pathlib import Path

from sqlalchemy import Engine

from tests.imports.conftest import DOPYS, ROOT, cli_env
from tests.imports.helpers import article_line, ndjson
from tests.imports.test_interrupted import _stored, _wait_for


def test_ctrl_c_says_what_was_stored_and_how_to_finish(
    db: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.ndjson"
    path.write_bytes(ndjson(article_line(n) for n in range(4000)))
    process = subprocess.Popen(
        [DOPYS, "import", str(path), "--batch-size", "40"],
        env=cli_env(database_url), cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    _wait_for(db, 40, process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, stderr
    message = " ".join(stderr.split())
    found = re.search(r"Stored before the stop, in whole batches: (\d+) created", message)
    assert found, message
    assert int(found.group(1)) == _stored(db)[0] > 0  # exactly what is stored
    assert _stored(db)[0] % 40 == 0
    assert (
        "0 updated, 0 unchanged, 0 failed; nothing is stored part-way. To finish, run the "
        "same command again: what is stored already is reported unchanged."
    ) in message
