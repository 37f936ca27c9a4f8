#!/usr/bin/env python3
"""Time the ingest of two checkouts of nofs alternately on the same history: what a change costs the ingest.

    git archive BASE | tar -x -C /tmp/nofs_base
    python bench/ingest_ab.py REPO /tmp/nofs_base . [--runs 3] [--jobs N] [--commits] [--same-data]
                              [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
                              [--ingest-options "--tags '^v2\\.\\d+\\.0$' --since v2.40.0"]

Each run is `python -m cli.main ingest --stable` into a fresh database (`--no-commits` unless `--commits`:
the releases alone, what bench/ingest_vs_git_grep.py times against git grep; with `--commits` the intervals
are attributed too, the whole ingest, and the attribution's own rate is read off the ingest's summary line,
"N commits walked (R/s)"). It is started in the checkout's directory so that its own `app`, `ingest` and
`migrations` are imported (the venv's editable install comes after the working directory on sys.path). The
two alternate, A B A B …, so that a shared machine's drift hits both alike; the ratio of the medians is the
answer. With `--jobs 1` the scan runs in the ingest's own process, so its CPU time (user + system, which
other load on a shared machine hardly moves) is measured too.

`--same-data` compares what the last run of each stored (tests/dump.py: every table by natural keys) and
exits 1 when they differ. `--postgres ADMIN_URL` ingests into two PostgreSQL databases made (and dropped at
the end) through that server instead of SQLite files.
"""

import argparse
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dump import dump  # the repository's own test helper

ATTRIBUTION = re.compile(r"([\d,]+) commits walked \(([\d,]+)/s\)")


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    peak_mib: float  # the largest resident set of the ingest or of any process it waited for
    commits: int | None  # walked by the attribution, from the summary line (None: --no-commits)
    rate: float | None  # the attribution's commits per second


def command_module(checkout: Path) -> str:
    """The `nofs` command's module in a checkout: cli.main, or ingest.cli in checkouts older than the cli/ package."""
    return "cli.main" if (checkout / "cli" / "main.py").exists() else "ingest.cli"


def stable_option(checkout: Path) -> list[str]:
    """`--stable` where the checkout has it; older ones took every release the tags named."""
    sources = [*(checkout / "cli").glob("*.py"), checkout / "ingest" / "cli.py"]
    return ["--stable"] if any('"--stable"' in p.read_text() for p in sources if p.exists()) else []


class Databases:
    """A fresh database for each run: an SQLite file in a temporary directory, or a PostgreSQL database."""

    def __init__(self, scratch: Path, postgres: str | None) -> None:
        self.scratch, self.postgres = scratch, postgres

    def fresh(self, name: str) -> str:
        if self.postgres is None:
            path = self.scratch / f"{name}.sqlite3"
            path.unlink(missing_ok=True)
            return f"sqlite:///{path}"
        database = f"nofs_ab_{name}_{os.getpid()}"
        with psycopg.connect(self.postgres, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
            admin.execute(f'CREATE DATABASE "{database}"')
        return self.postgres.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{database}"

    def drop_all(self) -> None:
        if self.postgres is None:
            return
        with psycopg.connect(self.postgres, autocommit=True) as admin:
            for name in ("baseline", "candidate"):
                admin.execute(f'DROP DATABASE IF EXISTS "nofs_ab_{name}_{os.getpid()}"')


def ingest_once(checkout: Path, repo: str, url: str, cache: Path, jobs: int, commits: bool, extra: list[str]) -> Run:
    """One ingest of `repo` by `checkout` into `url`: its wall and CPU seconds, peak memory and attribution."""
    env = {**os.environ, "DATABASE_URL": url, "NOFS_CACHE_DIR": str(cache)}
    command = [sys.executable, "-m", command_module(checkout), "ingest", *stable_option(checkout)]
    command += ["--jobs", str(jobs), *extra, repo]
    command += [] if commits else ["--no-commits"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{checkout}: the ingest failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    found = ATTRIBUTION.search(done.stdout)
    walked = int(found.group(1).replace(",", "")) if found else None
    rate = float(found.group(2).replace(",", "")) if found else None
    return Run(wall, cpu, after.ru_maxrss / 1024, walked, rate)


def report(runs: dict[str, list[Run]], jobs: int) -> None:
    """Medians of each side and candidate / baseline for wall, CPU and the attribution rate."""
    for what, value in (("wall s", lambda r: r.wall), ("CPU s", lambda r: r.cpu), ("commits/s", lambda r: r.rate)):
        if any(value(r) is None for side in runs.values() for r in side):
            continue
        base = statistics.median(value(r) for r in runs["baseline"])
        new = statistics.median(value(r) for r in runs["candidate"])
        ratio = new / base
        print(f"median {what:9}: baseline {base:10,.2f}, candidate {new:10,.2f}; candidate / baseline = {ratio:.3f}")
    peaks = {side: max(r.peak_mib for r in rs) for side, rs in runs.items()}
    print(f"peak RSS (largest process): baseline {peaks['baseline']:,.0f} MiB, candidate {peaks['candidate']:,.0f} MiB")
    if jobs > 1:
        print("(CPU with --jobs > 1 misses the scan workers, children of the forkserver: compare wall time)")


def same_data(urls: dict[str, str]) -> bool:
    """Whether both sides' last runs stored the same rows; prints the tables that differ."""
    dumps = {}
    for side, url in urls.items():
        engine = create_engine(url)
        dumps[side] = dump(engine)
        engine.dispose()
    differing = [t for t in dumps["baseline"] if dumps["baseline"][t] != dumps["candidate"].get(t)]
    rows = sum(len(r) for r in dumps["baseline"].values())
    print(f"stored data: {'identical' if not differing else 'DIFFERENT in ' + ', '.join(differing)} "
          f"({len(dumps['baseline'])} tables, {rows:,} rows)")  # fmt: skip
    return not differing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("baseline", type=Path)
    parser.add_argument("candidate", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--commits", action="store_true", help="attribute the intervals too (the whole ingest)")
    parser.add_argument("--same-data", action="store_true", help="compare what both sides stored; exit 1 if not")
    parser.add_argument("--postgres", metavar="ADMIN_URL", help="ingest into PostgreSQL databases made through it")
    parser.add_argument("--ingest-options", default="", help='more `nofs ingest` options, e.g. "--since v2.40.0"')
    args = parser.parse_args()
    runs: dict[str, list[Run]] = {"baseline": [], "candidate": []}
    urls: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        databases = Databases(Path(tmp), args.postgres)
        try:
            for number in range(args.runs):
                for side in ("baseline", "candidate"):
                    urls[side] = databases.fresh(side)
                    cache = Path(tmp) / f"cache-{side}"
                    checkout = getattr(args, side).resolve()
                    extra = shlex.split(args.ingest_options)
                    run = ingest_once(checkout, args.repo, urls[side], cache, args.jobs, args.commits, extra)
                    runs[side].append(run)
                    rate = f", {run.commits:,} commits at {run.rate:,.0f}/s" if run.rate is not None else ""
                    print(f"run {number + 1} {side:9} {run.wall:7.2f} s wall, {run.cpu:7.2f} s CPU, "
                          f"{run.peak_mib:6,.0f} MiB{rate}", flush=True)  # fmt: skip
            report(runs, args.jobs)
            identical = same_data(urls) if args.same_data else True
        finally:
            databases.drop_all()
    sys.exit(0 if identical else 1)


if __name__ == "__main__":
    main()
