"""Several `nofs ingest` processes on one PostgreSQL database split the releases and store each once."""

import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.dump import dump, wipe
from tests.many_releases import RELEASES, build

WORKERS = 3


def start(repo: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", "--jobs", "1", str(repo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_three_workers_give_exactly_the_single_worker_result(pg_engine: Engine, tmp_path: Path) -> None:
    """Several writers are a PostgreSQL deployment: SQLite is the single-user embedded store."""
    engine = pg_engine
    build(tmp_path / "repo")
    assert start(tmp_path / "repo").wait() == 0
    single = dump(engine)
    wipe(engine)
    workers = [start(tmp_path / "repo") for _ in range(WORKERS)]
    outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * WORKERS
    ingested = [int(re.search(r"ingested (\d+) release", out).group(1)) for out in outputs]  # type: ignore[union-attr]
    assert sum(ingested) == RELEASES  # every release stored by exactly one of them
    assert dump(engine) == single
