"""Real uvicorn servers on loopback (the product via `dopys serve`, the ceiling app with the
same options) and memory sampling of a server's process tree from /proc."""

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _status_kb(pid: int, key: str) -> int:
    """A `VmRSS`/`VmHWM` line of /proc/<pid>/status in KiB (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # pid (comm) state ppid ...: comm may hold spaces, so split after the ')'.
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def descendants(self) -> list[int]:
        tree = _children()
        found: list[int] = []
        stack = [self.process.pid]
        while stack:
            for child in tree.get(stack.pop(), []):
                found.append(child)
                stack.append(child)
        return found

    def workers(self) -> list[int]:
        """Processes that serve requests: uvicorn's spawned children, or the server itself
        when it runs a single worker."""
        spawned = [pid for pid in self.descendants() if b"spawn_main" in _cmdline(pid)]
        return spawned or [self.process.pid]

    def hwm_mb(self) -> dict[int, float]:
        """Peak resident memory (VmHWM) of the server and each worker, MB."""
        pids = list(dict.fromkeys([self.process.pid, *self.workers()]))
        return {pid: _status_kb(pid, "VmHWM") / 1024 for pid in pids}

    def stop(self) -> None:
        """Graceful stop; after 30 s (a request still running) the whole tree is killed."""
        if self.process.poll() is not None:
            return
        tree = self.descendants()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in tree:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except (FileNotFoundError, ProcessLookupError):
        return b""


def start(
    name: str, command: list[str], port: int, env: dict[str, str], workdir: Path, workers: int
) -> Server:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(name=name, process=process, port=port, log=log)
    _wait_ready(server, workers)
    return server


def _wait_ready(server: Server, workers: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"{server.name} exited:\n{server.log_tail()}")
        if len(server.workers()) >= workers and _answers(server.port):
            return
        time.sleep(0.2)
    server.stop()
    raise SystemExit(f"{server.name} did not start in {timeout}s:\n{server.log_tail()}")


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        conn.close()


def product(env: dict[str, str], port: int, workers: int, workdir: Path) -> Server:
    """The API exactly as production runs it: `dopys serve` (uvicorn, N workers), configured
    by environment variables as in production."""
    dopys = str(Path(sys.executable).with_name("dopys"))
    command = [dopys, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-migrate"]
    return start("product", command, port, env, workdir, workers)


def ceiling(responses: Path, port: int, workers: int, workdir: Path) -> Server:
    """The bare ASGI app (bench.ceiling) under the same server options."""
    command = [sys.executable, "-m", "bench.ceiling", str(port), str(workers)]
    return start("ceiling", command, port, {"BENCH_RESPONSES": str(responses)}, workdir, workers)


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def wait_idle(server: Server, timeout: float = 180, step: float = 0.5) -> float:
    """Wait until the server's workers stop using CPU (a slow build can still be working
    through requests that wrk gave up on); the seconds it took."""
    pids = [server.process.pid, *server.workers()]
    started = time.monotonic()
    before = _cpu_seconds(pids)
    quiet = 0
    while quiet < 2 and time.monotonic() - started < timeout:
        time.sleep(step)
        now = _cpu_seconds(pids)
        quiet = quiet + 1 if now - before < 0.05 * step else 0
        before = now
    return time.monotonic() - started


@dataclass
class Window:
    """Largest resident memory seen per worker, and of the whole tree, while open."""

    worker_max_mb: dict[int, float] = field(default_factory=dict)
    total_max_mb: float = 0.0

    @property
    def max_worker_mb(self) -> float:
        return max(self.worker_max_mb.values(), default=0.0)


@contextmanager
def sample_rss(server: Server, interval: float = 0.2) -> Iterator[Window]:
    """Sample VmRSS of the server and its workers in a thread while the block runs."""
    window = Window()
    stop = threading.Event()
    workers = server.workers()

    def sample() -> None:
        while True:
            sizes = {pid: _status_kb(pid, "VmRSS") / 1024 for pid in workers}
            for pid, size in sizes.items():
                window.worker_max_mb[pid] = max(window.worker_max_mb.get(pid, 0.0), size)
            master = 0.0
            if server.process.pid not in sizes:
                master = _status_kb(server.process.pid, "VmRSS") / 1024
            window.total_max_mb = max(window.total_max_mb, master + sum(sizes.values()))
            if stop.wait(interval):
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield window
    finally:
        stop.set()
        thread.join()
