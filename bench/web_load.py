#!/usr/bin/env python3
"""Pages or API calls under load against a trivial FastAPI JSON endpoint, in one run, with wrk on loopback.

    DATABASE_URL=sqlite:///… python bench/web_load.py pages [--seconds 10] [--connections 8]
    DATABASE_URL=sqlite:///… python bench/web_load.py api

Both apps run in their own uvicorn process (one worker each) on 127.0.0.1; wrk opens the same number
of connections to each URL in turn. Targets for the pages: >= 50 % of the baseline's requests/s and
a p99 <= 3x the baseline's. Targets for the API: >= 70 % and <= 2x; a 304 answer >= 90 %.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# name -> (path, send the ETag back for a 304, throughput target, p99 target)
SUITES = {
    "pages": {
        "overview": ("/", False, 0.5, 3.0),
        "subsystem": ("/subsystems/BTRFS%20FILE%20SYSTEM", False, 0.5, 3.0),
        "directory": ("/tree/fs/btrfs", False, 0.5, 3.0),
        "file": ("/tree/fs/btrfs/inode.c", False, 0.5, 3.0),
    },
    "api": {
        "api subsystems": ("/api/v1/subsystems", False, 0.7, 2.0),
        "api file history": ("/api/v1/files/fs/btrfs/inode.c/history", False, 0.7, 2.0),
        "api 304": ("/api/v1/subsystems", True, 0.9, 2.0),
    },
}
BASELINE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/ping")
def ping() -> dict[str, bool]:
    return {"ok": True}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(app: str, port: int, cwd: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([cwd, str(Path(__file__).resolve().parents[1])])},
    )
    for _ in range(600):  # the app warms up before it listens (app/web/warmup.py): seconds on a big database
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.terminate()  # never leave a server behind
    process.wait()
    sys.exit(f"{app} did not start within 60 s")


def first_request(url: str) -> tuple[float, str]:
    """The first answer after start (queries and rendering, before any cache holds it), in ms, and its ETag."""
    started = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        response.read()
        etag = response.headers.get("ETag", "")
    return (time.perf_counter() - started) * 1000, etag


def load(url: str, seconds: int, connections: int, headers: tuple[str, ...] = ()) -> tuple[float, float]:
    """Requests per second and p99 latency (ms) from wrk."""
    extra = [arg for header in headers for arg in ("-H", header)]
    subprocess.run(["wrk", "-t1", "-c2", "-d1s", *extra, url], capture_output=True, check=True)  # warm the caches
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *extra, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if ("Non-2xx" in out and not headers) or "Socket errors" in out:
        sys.exit(f"errors while loading {url}:\n{out}")
    return rate, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "baseline_app.py").write_text(BASELINE_APP)
        base_port, app_port = free_port(), free_port()
        servers = [start("baseline_app:app", base_port, tmp), start("app.main:app", app_port, tmp)]
        try:
            base_rate, base_p99 = load(f"http://127.0.0.1:{base_port}/ping", args.seconds, args.connections)
            print(f"{'baseline /ping':<22} {base_rate:8.0f} req/s   p99 {base_p99:6.1f} ms")
            for name, (path, conditional, rate_target, p99_target) in SUITES[args.suite].items():
                url = f"http://127.0.0.1:{app_port}{path}"
                cold, etag = first_request(url)
                headers = (f"If-None-Match: {etag}",) if conditional else ()
                rate, p99 = load(url, args.seconds, args.connections, headers)
                print(
                    f"{name:<22} {rate:8.0f} req/s   p99 {p99:6.1f} ms   "
                    f"{rate / base_rate:5.0%} of baseline throughput (target >= {rate_target:.0%}), "
                    f"p99 {p99 / base_p99:4.1f}x baseline (target <= {p99_target:g}x); first request {cold:.0f} ms"
                )
        finally:
            for server in servers:
                server.terminate()
                server.wait()


if __name__ == "__main__":
    main()
