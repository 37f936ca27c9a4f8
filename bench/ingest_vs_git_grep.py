#!/usr/bin/env python3
"""Full ingest against a `git grep -o -w` loop over the same tags, identifiers and files, in one run.

    python bench/ingest_vs_git_grep.py ~/linux-history [--jobs N]

Baseline: one `git grep -o -w -e ID … TAG -- '*.c' '*.h'` per release tag, every tracked identifier at
once, matches tallied per identifier. Then `nofs ingest --no-commits` into a fresh SQLite file (a
subprocess: the releases, what git grep counts), `nofs ingest` (attributing the intervals to commits,
timed on its own), the same command again with nothing new to do, and one more full ingest, commits
included, into another fresh file while its whole process tree is sampled for memory.
It also checks that the stored totals equal the git grep counts for every tag and identifier.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pygit2
from memory import run_sampled  # bench/memory.py: the script's directory is on sys.path
from sqlalchemy import create_engine, text

from app.registry import NAMES
from ingest.refs import tag_names
from ingest.tags import TagSelection, select_tags

NOOP_RUNS = 3


def git_grep_counts(repo: str, tag: str) -> Counter[str]:
    args = ["git", "-C", repo, "grep", "-o", "-w", "-h"]
    for name in NAMES:
        args += ["-e", name]
    output = subprocess.run([*args, tag, "--", "*.c", "*.h"], capture_output=True, check=False).stdout
    return Counter(line.rsplit(b":", 1)[-1].decode() for line in output.splitlines())


def run_timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def stored_totals(url: str) -> dict[str, Counter[str]]:
    engine = create_engine(url)
    query = text(
        "SELECT r.tag, pc.identifier, pc.code + pc.comment + pc.string + pc.definition FROM path_counts pc "
        "JOIN releases r ON r.id = pc.release_id JOIN paths p ON p.id = pc.path_id WHERE p.path = ''"
    )
    totals: dict[str, Counter[str]] = {}
    with engine.connect() as connection:
        for tag, identifier, total in connection.execute(query):
            totals.setdefault(tag, Counter())[identifier] = total
    engine.dispose()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    args = parser.parse_args()
    tags = [
        tag.name for tag in select_tags(tag_names(pygit2.Repository(args.repo).path), TagSelection(include_stable=True))
    ]
    print(f"{len(tags)} tags: {' '.join(tags)}; {len(NAMES)} identifiers; {os.cpu_count()} cores")

    started = time.perf_counter()
    grep = {tag: git_grep_counts(args.repo, tag) for tag in tags}
    grep_seconds = time.perf_counter() - started
    print(f"git grep loop:  {grep_seconds:7.1f} s  ({grep_seconds / len(tags):.1f} s a tag)")

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "NOFS_CACHE_DIR": tmp}
        command = [sys.executable, "-m", "cli.main", "ingest", "--stable", "--jobs", str(args.jobs), args.repo]
        # like for like: git grep counts releases, so the timed ingest does too; commits come after
        ingest_seconds = run_timed([*command, "--no-commits"], env)
        attribution_seconds = run_timed(command, env)
        # a no-op is mostly interpreter start and imports: on a shared VM one sample is noise, take three
        noops = sorted(run_timed(command, env) for _ in range(NOOP_RUNS))
        just_imports = [sys.executable, "-c", "import cli.main, ingest.run"]
        imports = sorted(run_timed(just_imports, env) for _ in range(NOOP_RUNS))
        stored = stored_totals(url)
        peak = run_sampled(command, {**env, "DATABASE_URL": f"sqlite:///{Path(tmp) / 'memory.sqlite3'}"})

    mismatches = [
        (tag, name, grep[tag][name], stored.get(tag, Counter())[name])
        for tag in tags
        for name in NAMES
        if grep[tag][name] != stored.get(tag, Counter())[name]
    ]
    print(f"nofs ingest:    {ingest_seconds:7.1f} s  (--jobs {args.jobs})")
    print(f"ratio:          {grep_seconds / ingest_seconds:7.2f} x faster than the git grep loop (target >= 5)")
    print(f"then commits:   {attribution_seconds:7.1f} s  (the {len(tags) - 1} intervals, a run of its own)")
    print(f"peak memory:    {peak / 2**20:7.0f} MiB, PSS summed over the whole process tree (target <= 1024)")
    spread = f"median of {NOOP_RUNS}, {noops[0]:.2f}-{noops[-1]:.2f} s; of it, starting Python with the imports: "
    spread += f"{statistics.median(imports):.2f} s"
    print(f"no-op re-run:   {statistics.median(noops):7.2f} s  (target <= 1; {spread})")
    print(f"totals vs git grep: {len(tags) * len(NAMES) - len(mismatches)} of {len(tags) * len(NAMES)} agree")
    for tag, name, expected, got in mismatches:
        print(f"  MISMATCH tag={tag} identifier={name} git-grep={expected} nofs={got}")
    if mismatches:
        sys.exit(1)


if __name__ == "__main__":
    main()
