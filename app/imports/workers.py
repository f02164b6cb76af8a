"""Checking import lines (validation, sanitizing, lemmas for search) on worker processes.

That stage is pure Python and most of an import's CPU time; on threads the GIL runs it
one batch at a time with the writes. On another process it checks batch n + 1 while this
one writes batch n. The processes are started for one import, only once a second batch
brings lines to check (an editor's few lines, or a re-run of an imported file, never start
one), and stopped after it: a serving worker keeps no extra process and no extra memory
between imports.

A worker is a fresh interpreter (`python -m app.imports.workers`) talking over its
standard input and output, rather than multiprocessing: a fork of a threaded server could
inherit a lock held mid-call, and multiprocessing's spawn would run the server's main
module again in each child.
"""

import contextlib
import logging
import pickle
import select
import signal
import struct
import subprocess
import sys
from collections.abc import Collection, Sequence
from typing import IO, Any

from app.imports.schemas import LineError
from app.imports.service import Checked, NumberedLine, check_lines

logger = logging.getLogger(__name__)

# Lines to check that make starting the processes worth it (their start-up is about a
# second of CPU).
MIN_LINES = 200
_SIZE = struct.Struct("!Q")
_READY = b"R"
Results = dict[int, Checked | list[LineError]]


def _send(stream: IO[bytes], value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_SIZE.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_SIZE.size)
    if len(head) < _SIZE.size:
        raise EOFError
    data = stream.read(_SIZE.unpack(head)[0])
    return pickle.loads(data)  # noqa: S301 (our own process's answer)


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.imports.workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self.ready = False

    def is_ready(self, wait: float = 0) -> bool:
        """Whether it has loaded (waiting up to `wait` seconds for it)."""
        stdout = self.process.stdout
        assert stdout is not None
        if not self.ready and select.select([stdout], [], [], wait)[0]:
            self.ready = stdout.read(1) == _READY
        return self.ready

    def send(self, lines: Sequence[NumberedLine], languages: Collection[str] | None) -> None:
        assert self.process.stdin is not None
        _send(self.process.stdin, (list(lines), languages))

    def receive(self) -> Results:
        assert self.process.stdout is not None
        results: Results = _receive(self.process.stdout)
        return results

    def stop(self) -> None:
        if not self.ready:
            self.process.terminate()  # still loading: nothing of ours in it
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # end of input: it exits
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class CheckPool:
    """A `Checker` (app.imports.service) that sends lines to worker processes once they
    have loaded, and checks them here until then (or if a worker fails): the results are
    the same either way, only where the CPU time is spent differs."""

    def __init__(self, workers: int = 1) -> None:
        """`workers`: 1 on two cores (the other runs this process's writes); 0 checks
        every line here."""
        self.size = workers
        self._workers: list[_Worker] = []
        self._broken = False
        self._batches = 0

    def __call__(self, lines: Sequence[NumberedLine], languages: Collection[str] | None) -> Results:
        self._batches += 1
        if self.size and self._batches >= 2 and len(lines) >= MIN_LINES and not self._workers:
            self.start()
        workers = self._workers
        if self._broken or not workers or not all(w.is_ready() for w in workers):
            return check_lines(lines, languages)
        size = -(-len(lines) // len(workers))
        chunks = [lines[i : i + size] for i in range(0, len(lines), size)]
        try:
            for worker, chunk in zip(workers, chunks, strict=False):
                worker.send(chunk, languages)
            checked: Results = {}
            for worker, _ in zip(workers, chunks, strict=False):
                checked.update(worker.receive())
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            logger.warning("an import check worker failed; checking in the server process")
            self._broken = True
            self.close()
            return check_lines(lines, languages)
        return checked

    def start(self, wait: float = 0) -> bool:
        """Start the processes; they load in the background (lines are checked here
        meanwhile), or for up to `wait` seconds. Whether they are ready."""
        if not self._workers and not self._broken:
            self._workers = [_Worker() for _ in range(self.size)]
        return all(w.is_ready(wait) for w in self._workers)

    def close(self) -> None:
        """Stop the processes (waits for them: none outlives the import)."""
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """A worker's loop: (lines, languages) in, check_lines' results out, until input ends."""
    from app.search.analysis import warm

    warm()
    stdout.write(_READY)
    stdout.flush()
    while True:
        try:
            lines, languages = _receive(stdin)
        except EOFError:
            return
        _send(stdout, check_lines(lines, languages))


if __name__ == "__main__":
    # The server's Ctrl-C reaches its whole process group: the server stops this worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
