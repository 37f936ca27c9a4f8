#!/usr/bin/env python3
"""Time the ingest of two checkouts of nofs alternately on the same history: what a change costs the ingest.

    git archive BASE | tar -x -C /tmp/nofs_base
    python bench/ingest_ab.py ~/linux-history /tmp/nofs_base . [--runs 3] [--jobs N]

Each run is `python -m cli.main ingest --stable --no-commits` (the releases: what bench/ingest_vs_git_grep.py
times against git grep; `--commits` attributes the intervals too, the whole ingest) into a fresh SQLite
file, started in the checkout's directory so that its own
`app`, `ingest` and `migrations` are imported (the venv's editable install comes after the working
directory on sys.path). The two alternate, A B A B …, so that a shared machine's drift hits both alike;
the ratio of the medians is the answer. With `--jobs 1` the scan runs in the ingest's own process, so its
CPU time (user + system, which other load on a shared machine hardly moves) is measured too.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def command_module(checkout: Path) -> str:
    """The `nofs` command's module in a checkout: cli.main, or ingest.cli in checkouts older than the cli/ package."""
    return "cli.main" if (checkout / "cli" / "main.py").exists() else "ingest.cli"


def ingest_seconds(checkout: Path, repo: str, jobs: int, commits: bool) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ingest (CPU: the process and the children it waited for)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", "NOFS_CACHE_DIR": tmp}
        command = [sys.executable, "-m", command_module(checkout), "ingest", "--stable", "--jobs", str(jobs), repo]
        command += [] if commits else ["--no-commits"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--commits", action="store_true", help="attribute the intervals too (the whole ingest)")
    args = parser.parse_args()
    times: dict[str, list[tuple[float, float]]] = {"baseline": [], "candidate": []}
    for run in range(args.runs):
        for name in ("baseline", "candidate"):
            wall, cpu = ingest_seconds(getattr(args, name).resolve(), args.repo, args.jobs, args.commits)
            times[name].append((wall, cpu))
            print(f"run {run + 1} {name:9} {wall:6.2f} s wall, {cpu:6.2f} s CPU", flush=True)
    for index, what in ((0, "wall"), (1, "CPU")):
        base = statistics.median(t[index] for t in times["baseline"])
        new = statistics.median(t[index] for t in times["candidate"])
        print(f"median {what}: baseline {base:.2f} s, candidate {new:.2f} s; candidate / baseline = {new / base:.3f}")
    if args.jobs > 1:
        print("(CPU with --jobs > 1 misses the scan workers, children of the forkserver: compare wall time)")


if __name__ == "__main__":
    main()
