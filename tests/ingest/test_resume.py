"""A SIGKILL at any moment, then a re-run, gives exactly what one uninterrupted run gives."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.dump import dump, wipe
from tests.gitrepo import RepoBuilder

RELEASES = 12
FILES = 240
KILLS = 10  # issue 6: ten in a row, then a final run


def source(release: int, index: int) -> bytes:
    # every release rewrites a fifth of the files; some hold tracked names, some do not
    generation = release if index % 5 == release % 5 else 0
    body = "".join(f"\tp{k} = kmalloc({generation}, GFP_NOFS); /* GFP_NOIO */\n" for k in range(index % 4))
    return f"int f{index}_{generation}(void)\n{{\n{body}\treturn 0;\n}}\n".encode() + b"x" * 2000


def build(path: Path) -> None:
    repo = RepoBuilder(path)
    maintainers = b"".join(f"AREA {d}\nS:\tMaintained\nF:\tdir{d}/\n\n".encode() for d in range(8))
    for release in range(1, RELEASES + 1):
        files = {f"dir{i % 8}/sub{i % 3}/file{i}.c": source(release, i) for i in range(FILES)}
        repo.commit({"MAINTAINERS": maintainers, **files}, f"v1.{release}")
        repo.tag(f"v1.{release}", annotated=release % 2 == 0)


def ingest_process(repo: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "ingest.cli", "ingest", "--jobs", "2", str(repo)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill takes the workers and git with it
    )


@pytest.mark.parametrize("seed", [7])
def test_sigkill_at_random_moments_then_resume_is_identical(
    engine: Engine, tmp_path: Path, db_url: str, seed: int
) -> None:
    build(tmp_path / "repo")
    started = time.monotonic()
    assert ingest_process(tmp_path / "repo").wait() == 0
    duration = time.monotonic() - started
    uninterrupted = dump(engine)
    assert len({row[0] for row in uninterrupted["releases"]}) == RELEASES
    wipe(engine)

    rng = random.Random(seed)
    interrupted = 0
    for _ in range(KILLS):
        process = ingest_process(tmp_path / "repo")
        time.sleep(rng.uniform(0.05, duration))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            interrupted += 1
        process.wait()
        partial = dump(engine)
        # whatever was committed is whole: each stored release has its totals, nothing is doubled
        assert len(partial["releases"]) == len({r[0] for r in partial["releases"]})
        assert {r[0] for r in partial["path_counts"]} == {r[0] for r in partial["releases"]}
    assert interrupted >= KILLS // 2  # the kills did land while it was working
    assert ingest_process(tmp_path / "repo").wait() == 0
    assert dump(engine) == uninterrupted
