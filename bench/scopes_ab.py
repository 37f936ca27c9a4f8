#!/usr/bin/env python3
"""`nofs scopes` of one release by two checkouts of nofs, alternately: wall time and peak memory, and their ratios.

    git archive BASE | tar -x -C /tmp/nofs_base
    DATABASE_URL=sqlite:////tmp/k/nofs.sqlite3 nofs ingest --stable --no-commits ~/linux-history
    python bench/scopes_ab.py ~/linux-history v6.12.118 /tmp/k/nofs.sqlite3 /tmp/nofs_base . [--runs 2]

Each run is `python -m cli.main scopes --release TAG REPO`, started in the checkout's directory so that its own
packages are imported, on a copy of the ingested SQLite file; its whole process tree is sampled for memory
(PSS summed, bench/memory.py). The two alternate, A B A B …; the medians' ratios are the answer. The findings
each stores are compared too: a change of memory must not change what is found.
"""

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from memory import run_sampled  # bench/memory.py: the script's directory is on sys.path

FINDINGS = (
    "SELECT f.kind, p.path, f.line, f.how, f.identifier, f.function FROM scope_findings f "
    "JOIN paths p ON p.id = f.path_id JOIN releases r ON r.id = f.release_id WHERE r.tag = ? ORDER BY 1, 2, 3, 5"
)


def one_run(checkout: Path, repo: str, tag: str, database: Path) -> tuple[float, int, list[tuple]]:
    """Wall seconds, peak PSS bytes and the findings stored, of one reading on a fresh copy of the database."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "nofs.sqlite3"
        shutil.copy(database, copy)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}", "NOFS_CACHE_DIR": tmp}
        command = [sys.executable, "-m", "cli.main", "scopes", "--release", tag, repo]
        started = time.perf_counter()
        peak = run_sampled(command, env, cwd=checkout)
        wall = time.perf_counter() - started
        with sqlite3.connect(copy) as connection:
            findings = connection.execute(FINDINGS, (tag,)).fetchall()
        return wall, peak, findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("tag")
    parser.add_argument("database", type=Path, help="an SQLite file the release is ingested in")
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, int]]] = {"baseline": [], "candidate": []}
    found: dict[str, list[tuple]] = {}
    for run in range(args.runs):
        for name in ("baseline", "candidate"):
            wall, peak, findings = one_run(getattr(args, name).resolve(), args.repo, args.tag, args.database)
            runs[name].append((wall, peak))
            found[name] = findings
            print(f"run {run + 1} {name:9} {wall:7.1f} s, peak {peak / 2**20:7.0f} MiB PSS", flush=True)
    for index, what, unit in ((0, "wall", 1.0), (1, "peak PSS", 2**20)):
        base = statistics.median(r[index] for r in runs["baseline"]) / unit
        new = statistics.median(r[index] for r in runs["candidate"]) / unit
        print(f"median {what}: baseline {base:.1f}, candidate {new:.1f}; candidate / baseline = {new / base:.3f}")
    same = found["baseline"] == found["candidate"]
    print(f"findings: {len(found['candidate'])} stored, {'identical' if same else 'DIFFERENT'} in both checkouts")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
