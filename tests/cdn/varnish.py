"""A real Varnish (Debian's `varnish` and `varnish-modules`, for vmod xkey) on a free
loopback port, in front of an origin, with the VCL the README shows."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest

VCL = r"""vcl 4.1;
import std;
import xkey;

backend origin { .host = "127.0.0.1"; .port = "%(port)s"; }

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip != "127.0.0.1") { return (synth(403)); }
        return (synth(200, "Purged " + xkey.purge(req.http.xkey-purge)));
    }
    if ((req.method != "GET" && req.method != "HEAD") || req.http.Authorization) {
        return (pass);
    }
    return (hash);
}

sub vcl_backend_response {
    if (!beresp.http.Surrogate-Key) {  # not a public response: never stored
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    if (beresp.http.Surrogate-Control ~ "max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, "^.*max-age=([0-9]+).*$", "\1s"), 0s);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
    unset resp.http.Surrogate-Control;
}
"""


def varnishd() -> str:
    found = shutil.which("varnishd") or shutil.which("varnishd", path="/usr/sbin")
    if found is None:
        pytest.skip("Varnish is not installed (apt-get install varnish varnish-modules)")
    return found


class Varnish:
    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir

    def backend_requests(self) -> int:
        """How many requests Varnish has made to the origin."""
        stat = shutil.which("varnishstat") or "/usr/bin/varnishstat"
        out = subprocess.run(
            [stat, "-n", str(self.workdir), "-1", "-f", "MAIN.backend_req"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout  # fmt: skip
        return int(out.split()[1])


@contextmanager
def varnish(origin_port: int, port: int, tmp: Path) -> Iterator[Varnish]:
    """varnishd in the foreground (-F) as a child of the test, run as the test's user
    (-j none), with a small in-memory store."""
    vcl = tmp / "dopys.vcl"
    vcl.write_text(VCL % {"port": origin_port})
    workdir = tmp / "varnish"
    log = (tmp / "varnish.log").open("wb")
    process = subprocess.Popen(
        [varnishd(), "-F", "-j", "none", "-a", f"127.0.0.1:{port}", "-f", str(vcl),
         "-n", str(workdir), "-s", "malloc,32m", "-p", "default_grace=0"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url, process, tmp / "varnish.log")
        yield Varnish(url, workdir)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _wait_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            httpx2.request("PURGE", url, headers={"xkey-purge": "none"}, timeout=1)
            return
        except httpx2.TransportError:
            time.sleep(0.05)
    pytest.fail(f"varnishd did not start:\n{log.read_text()}")
