"""A SIGKILL at any moment, then a re-run, gives exactly what one uninterrupted run gives."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Engine

from tests.dump import dump, wipe
from tests.many_releases import RELEASES, build

KILLS = 10  # ten in a row, then a final run


def ingest_process(repo: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", "--jobs", "2", str(repo)],
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


def _scan_workers(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """The forkserver and the pool workers under a running ingest, once they have started."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        workers = [p for p in psutil.Process(process.pid).children(recursive=True) if "forkserver" in _command(p)]
        if len(workers) >= 3:  # the forkserver and two workers (--jobs 2)
            return workers
        time.sleep(0.05)
    raise AssertionError("the ingest never started its scan workers")


def _command(process: psutil.Process) -> str:
    """A child's command line; none for one that ended while the children were listed (a git the ingest ran
    and has not reaped yet is a zombie for that moment)."""
    try:
        return " ".join(process.cmdline())
    except psutil.NoSuchProcess:  # a zombie too
        return ""


def _running(process: psutil.Process) -> bool:
    """Still there and not a zombie (init reaps an orphan when it gets to it)."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_killing_only_the_ingest_leaves_no_worker_behind(engine: Engine, tmp_path: Path, how: signal.Signals) -> None:
    """What `kill PID` or `docker stop` does: only the ingest is signalled, not its process group."""
    build(tmp_path / "repo")
    uninterrupted_run = ingest_process(tmp_path / "repo")
    assert uninterrupted_run.wait() == 0
    uninterrupted = dump(engine)
    wipe(engine)
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", "--jobs", "2", str(tmp_path / "repo")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers = _scan_workers(process)
    process.send_signal(how)
    _, err = process.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(w) for w in workers)
    if how == signal.SIGTERM:  # it unwinds: one line, the conventional status, no traceback
        assert process.returncode == 128 + signal.SIGTERM
        assert err.decode().strip().splitlines()[-1].startswith("nofs: stopped by SIGTERM")
        assert b"Traceback" not in err
    assert ingest_process(tmp_path / "repo").wait() == 0
    assert dump(engine) == uninterrupted
