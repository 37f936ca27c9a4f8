"""The database going away under a running worker: a clear error (or a retry), then a correct result."""

import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import Engine, text

from tests.databases import admin
from tests.dump import dump, wipe
from tests.many_releases import build


def ingest_process(repo: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ingest", "--jobs", "2", *extra, str(repo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def drop_connections(engine: Engine) -> int:
    """What a database restart does to its clients: every other connection to this database is cut."""
    with engine.connect() as connection:
        return len(
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
        )


def test_connections_cut_mid_ingest_then_a_rerun_is_exact(pg_engine: Engine, tmp_path: Path) -> None:
    build(tmp_path / "repo")
    assert ingest_process(tmp_path / "repo").wait() == 0
    reference = dump(pg_engine)
    wipe(pg_engine)
    worker = ingest_process(tmp_path / "repo")
    cut = 0
    deadline = time.monotonic() + 60
    while worker.poll() is None and time.monotonic() < deadline:
        time.sleep(0.3)
        cut += drop_connections(pg_engine)
    _, err = worker.communicate(timeout=60)
    assert cut > 0  # the worker was connected when the connections went
    if worker.returncode != 0:  # it noticed: one clear line, no traceback
        assert worker.returncode == 1 and "Traceback" not in err
        assert err.strip().splitlines()[-1].startswith("nofs: error: cannot use the database")
    assert ingest_process(tmp_path / "repo").wait() == 0
    assert dump(pg_engine) == reference


def test_watch_mode_retries_after_the_database_comes_back(pg_engine: Engine, tmp_path: Path) -> None:
    build(tmp_path / "repo")
    with pg_engine.connect() as connection:
        name = connection.execute(text("SELECT current_database()")).scalar_one()
    admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')  # the database is down from here
    drop_connections(pg_engine)
    pg_engine.dispose()
    worker = ingest_process(tmp_path / "repo", "--watch", "1")
    assert worker.stderr is not None
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(worker.stderr or ()), daemon=True)
    reader.start()
    try:
        # Wait for two failed rounds while it is down, however slowly the worker starts on a busy machine.
        deadline = time.monotonic() + 60
        while sum("this round failed, retrying in 1 s" in line for line in err_lines) < 2:
            assert time.monotonic() < deadline and worker.poll() is None, err_lines
            time.sleep(0.1)
        admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with pg_engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM releases")).scalar_one() == 12:
                    break
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        reader.join(timeout=30)
        admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    with pg_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM releases")).scalar_one() == 12
