#!/usr/bin/env python3
"""Attribution speed on a synthetic history of at least 20,000 commits with merges, in one run.

    python bench/attribution.py [--commits 20000] [--releases 10] [--prehistory 5000] [--recent-forks]
                                [--jobs N] [--keep DIR]

1. Writes the history with `git fast-import` (bench/synthetic_history.py): topic branches forked a
   release or more before their merge, clean textual merges and conflict-style resolutions, renames,
   5,000 commits before the first of ten release tags.
2. Baseline: `git log -m --raw --no-renames` over the same intervals and files: what git itself needs
   just to list each commit's changed .c/.h files (no blob read, no counting, no database).
3. `nofs ingest` (the library call) into a fresh SQLite file, or DATABASE_URL when set: releases, then
   attribution; attribution is timed on its own and reported in commits/s.
4. A re-run with nothing new.
It also checks the telescoping invariant on every interval (first-parent steps = release change).
"""

import argparse
import itertools
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import Engine, text
from synthetic_history import generate  # next to this script

from app.db import make_engine
from ingest.run import IngestOptions, ingest
from ingest.store import ancestors
from ingest.tags import TagSelection

TARGET = 1_000  # commits per second


def git_log_seconds(repo: str, tags: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    commits = 0
    for older, newer in itertools.pairwise(tags):
        output = subprocess.run(
            ["git", "-C", repo, "log", "-m", "--raw", "--no-renames", "--no-abbrev", "--format=%H %an %s",
             f"{older}..{newer}", "--", "*.c", "*.h"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        commits += int(subprocess.run(["git", "-C", repo, "rev-list", "--count", f"{older}..{newer}"],
                                      capture_output=True, text=True, check=True).stdout)  # fmt: skip
        assert output
    return time.perf_counter() - started, commits


def telescoping_failures(engine: Engine) -> int:
    """Intervals, directories (every level), identifiers and kinds where the steps miss the change."""
    with engine.connect() as connection:
        counts: dict[str, Counter] = defaultdict(Counter)
        for tag, path, identifier, *kinds in connection.execute(text(
            "SELECT r.tag, p.path, c.identifier, c.code, c.comment, c.string, c.definition FROM path_counts c "
            "JOIN releases r ON r.id = c.release_id JOIN paths p ON p.id = c.path_id"
        )):  # fmt: skip
            for kind, value in enumerate(kinds):
                counts[tag][(path, identifier, kind)] += value
        steps: dict[str, Counter] = defaultdict(Counter)
        for tag, path, identifier, *kinds in connection.execute(text(
            "SELECT r.tag, p.path, x.identifier, x.code, x.comment, x.string, x.definition FROM commit_changes x "
            "JOIN releases r ON r.id = x.release_id JOIN paths p ON p.id = x.path_id WHERE x.view = 'step'"
        )):  # fmt: skip
            for place in (path, *ancestors(path)):
                for kind, value in enumerate(kinds):
                    steps[tag][(place, identifier, kind)] += value
        intervals = connection.execute(text(
            "SELECT r.tag, a.from_tag FROM attributions a JOIN releases r ON r.id = a.release_id "
            "WHERE a.from_tag IS NOT NULL"
        )).all()  # fmt: skip
    failures = 0
    for tag, from_tag in intervals:
        change = Counter(counts[tag])
        change.subtract(counts[from_tag])
        failures += sum(change[key] != steps[tag][key] for key in set(change) | set(steps[tag]))
    return failures + split_failures(engine)


def split_failures(engine: Engine) -> int:
    """Rows whose change split (app/change_rules.py) is missing or does not add up to their change in uses."""
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT count(*) FROM commit_changes WHERE converted IS NULL OR "
            "moved_in + added_new + added_existing - converted - removed_with_code - moved_out <> code"
        )).scalar_one()  # fmt: skip


def kernel_scale(source: str, commits: int, jobs: int, keep: str | None) -> None:
    """Commits on a real kernel tree: the per-commit cost (tree diffs, blob reads) at kernel size."""
    import random

    import pygit2

    with tempfile.TemporaryDirectory() as scratch:
        repo_dir = str(Path(scratch) / "kernel.git")
        subprocess.run(["git", "clone", "-q", "--bare", "--shared", source, repo_dir], check=True)
        repo = pygit2.Repository(repo_dir)
        first = sorted(t for t in repo.listall_references() if t.startswith("refs/tags/"))[0]
        tag = first.removeprefix("refs/tags/")
        start = repo.revparse_single(tag).peel(pygit2.Commit)
        paths = []
        stack = [("", start.tree)]
        while stack:
            prefix, tree = stack.pop()
            for entry in tree:
                if entry.type_str == "tree":
                    stack.append((f"{prefix}{entry.name}/", repo[entry.id]))
                elif entry.name.endswith((".c", ".h")):
                    paths.append((f"{prefix}{entry.name}", entry.id))
        rng = random.Random(1)
        contents: dict[str, bytes] = {}
        started = time.perf_counter()
        process = subprocess.Popen(["git", "-C", repo_dir, "fast-import", "--quiet"], stdin=subprocess.PIPE)
        assert process.stdin is not None
        for number in range(1, commits + 1):
            process.stdin.write(f"commit refs/heads/bench\nmark :{number}\n".encode())
            process.stdin.write(f"committer Dev <dev@example.invalid> {1_700_000_000 + number} +0000\n".encode())
            message = f"bench: edit {number}".encode()
            process.stdin.write(f"data {len(message)}\n".encode() + message + b"\n")
            process.stdin.write(f"from {start.id}\n".encode() if number == 1 else f"from :{number - 1}\n".encode())
            for path, oid in rng.sample(paths, rng.randint(1, 4)):
                data = contents.get(path) or repo[oid].data
                if b"GFP_NOFS" in data and rng.random() < 0.5:
                    data = data.replace(b"GFP_NOFS", b"GFP_KERNEL", 1)
                else:
                    data += f"/* edit {number}: GFP_NOFS */\n".encode()
                contents[path] = data
                process.stdin.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
            process.stdin.write(b"\n")
        # the end tag is a later release of the start tag's own line, so that its interval starts there
        end = f"{tag}.1" if tag.count(".") == 1 else f"{tag.rsplit('.', 1)[0]}.999999"
        process.stdin.write(f"reset refs/tags/{end}\nfrom :{commits}\n\n".encode())
        process.stdin.close()
        assert process.wait() == 0
        print(f"{commits:,} commits on {tag}'s tree ({len(paths):,} .c/.h files), written in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        engine = make_engine(f"sqlite:///{Path(scratch) / 'bench.sqlite3'}")
        # one interval: tag -> the commits
        selection = TagSelection(pattern=f"^({re.escape(tag)}|{re.escape(end)})$", include_stable=True)
        cache = Path(scratch) / "cache"
        ingest(engine, IngestOptions(repo_dir, cache, selection, jobs=jobs, commits=False))  # releases first
        if keep:
            shutil.copytree(scratch, keep, dirs_exist_ok=True)
        stats = ingest(engine, IngestOptions(repo_dir, cache, selection, jobs=jobs))
        rate = stats.commits_walked / stats.attribution_seconds
        print(f"attribution at kernel scale: {stats.commits_walked:,} commits in {stats.attribution_seconds:.2f} s: "
              f"{rate:,.0f} commits/s; {stats.blobs_scanned:,} blobs scanned "
              f"({stats.bytes_scanned / 1e6:,.0f} MB)")  # fmt: skip
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--releases", type=int, default=10)
    parser.add_argument("--prehistory", type=int, default=5_000, help="commits before the first release")
    parser.add_argument("--recent-forks", action="store_true", help="topic branches merged a few commits after forking")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", help="write the history here and keep it")
    parser.add_argument(
        "--kernel",
        metavar="REPO",
        help="instead: COMMITS linear commits on a real kernel tree (the first tag of REPO, e.g. ~/linux-history), "
        "each editing 1-4 real .c/.h files, to measure the cost per commit at kernel scale",
    )
    args = parser.parse_args()
    if args.kernel:
        kernel_scale(args.kernel, args.commits, args.jobs, args.keep)
        return
    with tempfile.TemporaryDirectory() as scratch:
        repo = args.keep or str(Path(scratch) / "synth.git")
        started = time.perf_counter()
        commits, merges = generate(
            repo, args.commits, args.releases, seed=1, prehistory=args.prehistory, old_forks=not args.recent_forks
        )
        print(f"history: {commits:,} commits ({merges:,} merges), {args.releases} releases, "
              f"written in {time.perf_counter() - started:.1f} s")  # fmt: skip
        tags = [f"v1.{i}" for i in range(args.releases + 1)]
        baseline, in_intervals = git_log_seconds(repo, tags)
        print(f"baseline git log -m --raw over the {len(tags) - 1} intervals: {in_intervals:,} commits "
              f"in {baseline:.2f} s ({in_intervals / baseline:,.0f} commits/s)")  # fmt: skip
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        engine = make_engine(url)
        options = IngestOptions(repo, Path(scratch) / "cache", jobs=args.jobs)
        started = time.perf_counter()
        stats = ingest(engine, options)
        total = time.perf_counter() - started
        rate = stats.commits_walked / stats.attribution_seconds
        print(f"nofs ingest: {total:.2f} s in all; attribution {stats.attribution_seconds:.2f} s for "
              f"{stats.commits_walked:,} commits ({stats.commits_with_changes:,} moved a count): "
              f"{rate:,.0f} commits/s (target {TARGET:,}: {'met' if rate >= TARGET else 'NOT met'})")  # fmt: skip
        print(f"ratio attribution / git log baseline: {stats.attribution_seconds / baseline:.2f}")
        assert stats.commits_walked == in_intervals, (stats.commits_walked, in_intervals)
        started = time.perf_counter()
        again = ingest(engine, options)
        print(f"re-run with nothing new: {time.perf_counter() - started:.2f} s "
              f"({again.intervals_attributed} intervals attributed)")  # fmt: skip
        failures = telescoping_failures(engine)
        print(f"telescoping invariant: {'holds' if not failures else f'{failures} MISMATCHES'} on every interval, "
              "directory, identifier and kind, and each row's change split adds up to its change in uses")  # fmt: skip
        engine.dispose()
        if url.startswith("postgresql"):
            print("note: DATABASE_URL was used as is; wipe it before the next run")


if __name__ == "__main__":
    main()
