#!/usr/bin/env python3
"""A bounded soak: mixed pages and API calls for a few minutes, with errors, latency and memory over time.

    DATABASE_URL=postgresql+psycopg://…/nofs_kernel python bench/soak.py [--minutes 3] [--connections 8]

Serves app.main:app with uvicorn (--workers N, default 1) on 127.0.0.1 and drives it with wrk and a Lua script that
walks a list of real URLs from the database (pages, partials, charts' descriptions, API calls, 304s are
not included). Prints wrk's totals and the web processes' resident memory every 20 s: it should stay flat.
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
from urllib.parse import quote

import psutil
from sqlalchemy import create_engine, text

SAMPLE_SECONDS = 20


def urls(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        subsystems = connection.execute(
            text("SELECT DISTINCT s.name FROM subsystems s JOIN subsystem_counts c ON c.subsystem_id = s.id LIMIT 40")
        ).scalars()
        directories = connection.execute(text("SELECT path FROM paths WHERE is_dir LIMIT 60")).scalars()
        files = connection.execute(text("SELECT path FROM paths WHERE NOT is_dir LIMIT 60")).scalars()
        tags = connection.execute(text("SELECT tag FROM releases ORDER BY sort_key")).scalars().all()
        result = ["/", "/subsystems", "/releases", "/about", "/api/v1/subsystems", "/api/v1/releases"]
        result += [f"/subsystems/{quote(name)}" for name in subsystems]
        result += [f"/tree/{d}" for d in directories] + [f"/api/v1/tree/{d}" for d in directories]
        result += [f"/tree/{f}" for f in files] + [f"/api/v1/files/{f}/history" for f in files]
        result += [f"/releases/{t}" for t in tags[1:]] + ["/?metric=GFP_NOIO", "/charts/trend.vl.json"]
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--connections", type=int, default=8)
    # uvicorn 0.54 with --workers > 1 answers each loopback keep-alive request ~44 ms late here, a trivial
    # FastAPI app too (180 req/s against 2,800 with one worker): one worker shows what the app itself does.
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    paths = urls(os.environ["DATABASE_URL"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = psutil.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port)),
            *("--workers", str(args.workers), "--log-level", "warning"),
        ]
    )
    time.sleep(3)
    # One pass over every URL first: data change only when a release is ingested, so a long-running
    # server answers from its caches; the soak measures that steady state, not the first renders.
    started = time.perf_counter()
    for path in paths:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}") as response:
            response.read()
    print(f"warm-up: {len(paths)} first answers in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp, "walk.lua")
        listing = ", ".join('"' + p.replace('"', '\\"') + '"' for p in paths)
        script.write_text(
            f"local paths = {{{listing}}}\nlocal i = 0\n"
            "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
        )
        seconds = int(args.minutes * 60)
        load = subprocess.Popen(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        print(f"{len(paths)} distinct URLs, {args.connections} connections, {seconds} s")
        memory = []
        while load.poll() is None:
            rss = sum(p.memory_info().rss for p in [server, *server.children(recursive=True)]) / 2**20
            memory.append(rss)
            print(f"  t={len(memory) * SAMPLE_SECONDS - SAMPLE_SECONDS:4d} s  web RSS {rss:7.1f} MiB", flush=True)
            time.sleep(SAMPLE_SECONDS)
        out = load.communicate()[0]
    server.terminate()
    server.wait()
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    total = re.search(r"(\d+) requests in", out)
    errors = "Non-2xx" in out or "Socket errors" in out
    figures = [m.group(1) if m else "?" for m in (total, rate, p99)]
    print(f"requests {figures[0]}, {figures[1]} req/s, p99 {figures[2]}")
    print(
        f"errors: {'YES' if errors else 'none'}; web RSS first {memory[0]:.1f} MiB, last {memory[-1]:.1f} MiB, "
        f"max {max(memory):.1f} MiB"
    )
    if errors:
        print(out)
        sys.exit(1)


if __name__ == "__main__":
    main()
