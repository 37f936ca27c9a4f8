#!/usr/bin/env python3
"""The README's main command (`nofs ingest REPO`, then `nofs scopes REPO`) by two checkouts of nofs: wall time and
peak memory of each step, and their ratios.

    git archive BASE | tar -x -C /tmp/nofs_base
    python bench/kernel_scale.py --kernel ~/linux-history --no-pages --keep ~/kbench   # the history
    python bench/main_command_ab.py ~/kbench/linux.git /tmp/nofs_base . [--runs 1] [--jobs N]

Each step runs as `python -m cli.main …` in the checkout's directory (its own packages are imported) into a fresh
SQLite file, its whole process tree sampled for memory (PSS summed, bench/memory.py): what a maintainer's laptop
needs to hold. The two checkouts alternate, A B A B …
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from memory import run_sampled  # bench/memory.py: the script's directory is on sys.path

STEPS = ("ingest", "scopes")


def one_run(checkout: Path, repo: str, jobs: int) -> dict[str, tuple[float, int]]:
    """Per step: wall seconds and peak PSS bytes."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'nofs.sqlite3'}", "NOFS_CACHE_DIR": tmp}
        for step in STEPS:
            command = [sys.executable, "-m", "cli.main", step, *(["--jobs", str(jobs)] if step == "ingest" else [])]
            started = time.perf_counter()
            peak = run_sampled([*command, repo], env, cwd=checkout)
            out[step] = (time.perf_counter() - started, peak)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, tuple[float, int]]]] = {"baseline": [], "candidate": []}
    for run in range(args.runs):
        for name in ("baseline", "candidate"):
            measured = one_run(getattr(args, name).resolve(), args.repo, args.jobs)
            runs[name].append(measured)
            steps = ", ".join(f"{s} {w:.0f} s peak {p / 2**20:.0f} MiB" for s, (w, p) in measured.items())
            print(f"run {run + 1} {name:9} {steps}", flush=True)
    for step in STEPS:
        for index, what, unit in ((0, "wall s", 1.0), (1, "peak MiB", 2**20)):
            base = statistics.median(r[step][index] for r in runs["baseline"]) / unit
            new = statistics.median(r[step][index] for r in runs["candidate"]) / unit
            print(f"{step} {what}: baseline {base:.1f}, candidate {new:.1f}; candidate / baseline = {new / base:.3f}")


if __name__ == "__main__":
    main()
