"""Load with wrk (Debian's package, installed on first use): fixed duration and connections,
requests rotated over a list, results (req/s, p50, p99, errors) read from a Lua `done` hook."""

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

Request = tuple[str, dict[str, str]]  # path with query, extra headers
TIMEOUT_S = 5
BUST_PARAM = "_bench"

_LUA = """
local requests = {%(requests)s}
local formatted = {}
local i = 0
local threads = {}
local bust = %(bust)s
sent = 0
setup = function(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
init = function(args)
  for k, r in ipairs(requests) do formatted[k] = wrk.format("GET", r[1], r[2]) end
  i = math.random(#formatted) - 1
end
request = function()
  sent = sent + 1
  i = i %% #formatted + 1
  if bust then
    -- A query parameter the API ignores, new each time: the response cache never hits.
    local r = requests[i]
    local sep = string.find(r[1], "?", 1, true) and "&" or "?"
    return wrk.format("GET", r[1] .. sep .. BUST_PARAM .. "=" .. id .. "-" .. sent, r[2])
  end
  return formatted[i]
end
done = function(summary, latency, requests)
  local e = summary.errors
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("sent") end
  io.write(string.format(
    'BENCH_RESULT {"requests": %%d, "sent": %%d, "duration_us": %%d, "p50_us": %%d, ' ..
    '"p99_us": %%d, "status_errors": %%d, "socket_errors": %%d}\\n',
    summary.requests, total, summary.duration, latency:percentile(50),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    # Responses with a status >= 400 (wrk's count) plus failed connections, reads, writes
    # and timeouts (socket_errors). Each workload's status is checked exactly before the run.
    bad_responses: int
    socket_errors: int
    # Sent but still unanswered when wrk stopped (at most one per connection). wrk does not
    # count these as timeouts; `timed_out` does when the server needed longer than
    # TIMEOUT_S after the run to finish them (see `with_stragglers`).
    unanswered: int
    timed_out: int = 0

    def with_stragglers(self, busy_after_s: float) -> "LoadResult":
        """Count the unanswered requests as failed if the server was still working on them
        TIMEOUT_S after the run, or if nothing was answered at all."""
        if self.unanswered and (busy_after_s > TIMEOUT_S or self.requests == 0):
            return replace(
                self,
                timed_out=self.unanswered,
                bad_responses=self.bad_responses + self.unanswered,
            )
        return self

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def ensure_wrk() -> str:
    """wrk from the Debian package; installed (apt-get) when missing."""
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and apt-get could not install it")
    return found


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(requests: list[Request], bust: bool) -> str:
    items = []
    for path, headers in requests:
        pairs = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
        items.append(f"{{{_lua_string(path)}, {{{pairs}}}}}")
    script = _LUA.replace("BUST_PARAM", _lua_string(BUST_PARAM))
    return script % {"requests": ",\n".join(items), "bust": "true" if bust else "false"}


def run_wrk(
    port: int,
    requests: list[Request],
    *,
    seconds: int,
    connections: int,
    threads: int,
    bust_cache: bool = False,
) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_script(requests, bust_cache))
    try:
        command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
        # A request unanswered after TIMEOUT counts as an error; shorter than the run, so a
        # stuck request is counted before wrk stops.
        command += ["--timeout", f"{TIMEOUT_S}s", "-s", script.name, f"http://127.0.0.1:{port}"]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        Path(script.name).unlink()
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_RESULT "))
    return LoadResult(
        rps=raw["requests"] / (raw["duration_us"] / 1e6),
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        requests=raw["requests"],
        bad_responses=raw["status_errors"] + raw["socket_errors"],
        socket_errors=raw["socket_errors"],
        unanswered=raw["sent"] - raw["requests"],
    )
