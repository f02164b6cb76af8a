"""Where a worker's time goes under load: py-spy samples every worker while wrk runs, and the
stacks are summed per function.

Two views, from two runs: "busy" (every thread not parked in a wait, so time in SQL with the
GIL released counts) and "GIL" (only the thread holding the GIL: Python CPU time, which
bounds a worker's throughput). py-spy is a developer tool, not a project dependency:
`pip install py-spy==0.4.3`."""

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^():]*)(?::\d+)?\)$")
# Leaves that mean a thread is parked.
_PARKED = ("Condition.wait ", "Queue.get ", "Event.wait ", "Connection._recv ", "select ")


def available() -> bool:
    return shutil.which("py-spy") is not None


def record(
    pids: list[int], seconds: int, out_dir: Path, name: str, *, gil: bool
) -> list[subprocess.Popen[bytes]]:
    """Start sampling each pid for `seconds` without pausing it."""
    started = []
    for pid in pids:
        output = out_dir / f"{name}-{pid}.txt"
        command = ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds)]
        command += ["--rate", "200", "--nonblocking", "--format", "raw", "--output", str(output)]
        command += ["--gil"] if gil else []
        started.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        )
    return started


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "/app/", "/bench/"):
        if marker in path:
            path = ("app/" if marker == "/app/" else "") + path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"


def summarize(files: list[Path], top: int = 15) -> dict[str, Any]:
    """Shares of the non-parked samples per function, on the stack and at its top."""
    inclusive: Counter[str] = Counter()  # only our own code's functions
    own: Counter[str] = Counter()
    total = 0
    for file in files:
        if not file.exists():
            continue
        for line in file.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            frames = [_short(f) for f in stack.split(";")]
            if frames[-1].startswith(_PARKED):
                continue
            count = int(count_text)
            total += count
            for frame in set(frames):
                if "(app/" in frame:
                    inclusive[frame] += count
            own[frames[-1]] += count
    return {
        "samples": total,
        "inclusive": [(f, n / total) for f, n in inclusive.most_common(top)] if total else [],
        "self": [(f, n / total) for f, n in own.most_common(top)] if total else [],
    }
