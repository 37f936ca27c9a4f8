"""docker-compose.yml brought up for real, then put through the faults docs/operations.md describes.

The steps run in order on one deployment (tests/deploy/conftest.py): each leaves the stack as the next
expects it. `pytest -m deploy` runs them; the default run leaves them out (they need a Docker engine).
"""

import json
import re
import tomllib
import urllib.error

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from app.db import make_engine
from tests.deploy.compose import ROOT, DeployError, http_get, run, wait_for
from tests.deploy.conftest import Deployment
from tests.deploy.history import SCOPED_LINE, SCOPED_PATH, add_release
from tests.dump import dump

pytestmark = pytest.mark.deploy

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
# What the web shows, compared before and after a backup is restored.
NUMBERS = (
    "/api/v1/releases?limit=500",
    "/api/v1/subsystems",
    "/api/v1/tree/fs?limit=500",
    "/api/v1/files/fs/btrfs/inode.c/history?limit=500",
    "/api/v1/releases/v2.0/commits",
    "/badge/BTRFS%20FILE%20SYSTEM.svg?metric=GFP_NOFS",
)


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def _stored_tags(d: Deployment) -> set[str]:
    engine = make_engine(d.owner_url)
    try:
        with engine.connect() as connection:
            return set(connection.execute(text("SELECT tag FROM releases")).scalars())
    finally:
        engine.dispose()


def _all_ingested(d: Deployment) -> bool:
    """Every release stored and attributed (the first one's attribution records that it has no interval)."""
    expected = len(d.tags)
    return _stored_tags(d) == set(d.tags) and _count(d.owner_url, "SELECT count(*) FROM attributions") == expected


def _get(d: Deployment, path: str) -> tuple[int, str, bytes]:
    return http_get(d.web + path)


def _web_answers(d: Deployment) -> bool:
    return _get(d, "/about")[0] == 200


def test_the_image(deployment: Deployment) -> None:
    """Non-root, a HEALTHCHECK, `nofs --version`, a wheel install (templates inside the package), no build tools."""
    d = deployment
    image = d.image
    config = json.loads(run(["docker", "image", "inspect", image]))[0]["Config"]
    assert config["User"] == "nofs"
    assert config["Healthcheck"]["Test"] == ["CMD", "python", "-m", "app.healthcheck"]

    def in_image(*command: str) -> str:
        return run(["docker", "run", "--rm", "--network", "none", image, *command]).strip()

    assert in_image("id", "-u") != "0"
    assert in_image("nofs", "--version") == f"nofs {VERSION}"
    where = in_image("python", "-c", "from app.assets import asset_dir as a; print(a('templates'), a('static'))")
    site = "/opt/nofs/lib/python3.11/site-packages/app"
    assert where.split() == [f"{site}/templates", f"{site}/static"]
    assert in_image("sh", "-c", "command -v pip gcc cc make; ls /src 2>&1 || true") == (
        "ls: cannot access '/src': No such file or directory"
    )
    sizes = {
        name: json.loads(run(["docker", "image", "inspect", name]))[0]["Size"]
        for name in (image, deployment.base_image)
    }
    added = (sizes[image] - sizes[d.base_image]) / 1e6
    print(f"\nimage {image}: {sizes[image] / 1e6:.0f} MB, {added:.0f} MB over its base {d.base_image}")
    assert added < 350, f"the image adds {added:.0f} MB to its base"


def test_it_starts(deployment: Deployment) -> None:
    """db healthy, migrate done, the worker ingests the mounted repository, the web answers as the reader."""
    d = deployment
    project = d.project
    wait_for("the db to be healthy", lambda: project.health("db") == "healthy")
    migrate = project.inspect("migrate")["State"]
    assert (migrate["Status"], migrate["ExitCode"]) == ("exited", 0)
    wait_for("the worker to ingest every release", lambda: _all_ingested(d), timeout=180)
    wait_for("the web to answer", lambda: _web_answers(d))

    status, kind, body = _get(d, "/")
    assert status == 200 and "text/html" in kind and b"GFP_NOFS" in body
    status, kind, body = _get(d, "/tree/fs/btrfs/inode.c")
    assert status == 200 and b"kmalloc(8, GFP_NOFS)" in body
    status, kind, body = _get(d, "/api/v1/releases?limit=500")
    assert status == 200 and [r["tag"] for r in json.loads(body)["items"]] == d.tags
    status, kind, body = _get(d, "/badge/BTRFS%20FILE%20SYSTEM.svg?metric=GFP_NOFS")
    assert status == 200 and kind.startswith("image/svg+xml") and b"<svg" in body
    wait_for("the web's HEALTHCHECK to pass", lambda: project.health("web") == "healthy", timeout=90)

    # the worker reads the newest release's scopes after its round: the web shows what it found
    found = wait_for("the worker to read scopes", lambda: _scope_findings(d), timeout=180)
    assert (SCOPED_PATH, SCOPED_LINE, d.tags[-1]) in found

    # the web reads as nofs_reader, which can read and nothing else
    web_env = project.inspect("web")["Config"]["Env"]
    assert any(e.startswith("DATABASE_URL=postgresql+psycopg://nofs_reader:") for e in web_env)
    assert _count(d.reader_url, "SELECT count(*) FROM releases") == len(d.tags)
    with pytest.raises(ProgrammingError, match="permission denied"):
        _count(d.reader_url, "WITH gone AS (DELETE FROM releases RETURNING 1) SELECT count(*) FROM gone")

    # host networking only: no network of the project's own, every container on the host's
    assert run(["docker", "network", "ls", "-q", "--filter", f"label=com.docker.compose.project={project.name}"]) == ""
    for service in ("db", "migrate", "worker", "web"):
        assert project.inspect(service)["HostConfig"]["NetworkMode"] == "host", service


def _scope_findings(d: Deployment) -> set[tuple[str, int, str]]:
    status, _, body = _get(d, "/api/v1/scopes?kind=redundant&limit=500")
    answer = json.loads(body) if status == 200 else {}
    return {(f["path"], f["line"], answer["release"]) for f in answer.get("items", [])}


def test_worker_killed_mid_ingest_then_started_ends_as_an_uninterrupted_run(deployment: Deployment) -> None:
    """New tags arrive; SIGKILL to the worker container while it stores them; started again, it finishes,
    and the database is the one a single uninterrupted ingest of the same repository makes."""
    d = deployment
    project = d.project
    before = len(d.tags)
    for number in range(d.releases + 1, d.releases + 121):
        add_release(d.repo, number)
    d.releases += 120
    d.hand_repo_to_image_user()
    wait_for(
        "the worker to store ten of the new releases",
        lambda: _count(d.owner_url, "SELECT count(*) FROM releases") >= before + 10,
        every=0.05,
    )
    run(["docker", "kill", project.container("worker")])
    stored_at_kill = _count(d.owner_url, "SELECT count(*) FROM releases")
    assert stored_at_kill < len(d.tags), "the worker had finished before it was killed: not mid-ingest"
    assert project.inspect("worker")["State"]["ExitCode"] == 137  # SIGKILL, not a clean stop
    project.compose("start", "worker")
    wait_for("the restarted worker to finish", lambda: _all_ingested(d), timeout=300)

    # the reference: the same repository ingested in one go, in the worker's container, into another
    # database (an exec, not a `run`: compose v1 links a run's container to its dependencies, which host
    # networking forbids)
    reference = d.owner_url.rsplit("/", 1)[0] + "/nofs_reference"
    project.compose("exec", "-T", "db", "createdb", "-U", "nofs", "nofs_reference")
    one_off = ["exec", "-T", "-e", f"DATABASE_URL={reference}", "worker"]
    project.compose(*one_off, "nofs", "db", "upgrade")
    project.compose(*one_off, "nofs", "ingest", "--since", "v1.9", "/repo")
    killed, uninterrupted = (make_engine(url) for url in (d.owner_url, reference))
    try:
        assert dump(killed) == dump(uninterrupted)
    finally:
        killed.dispose()
        uninterrupted.dispose()
    project.compose("exec", "-T", "db", "dropdb", "-U", "nofs", "nofs_reference")


def test_db_restart(deployment: Deployment) -> None:
    """The db stopped: the web answers 503 (pages and API), the worker's rounds fail and are logged; a tag
    arrives meanwhile; the db started: the same web processes answer 200, and the worker catches up."""
    d = deployment
    project = d.project
    web_started = project.inspect("web")["State"]["StartedAt"]
    project.compose("stop", "db")
    status, _, _ = _get(d, "/")
    assert status == 503
    status, _, body = _get(d, "/api/v1/releases")
    assert (status, json.loads(body)["error"]) == (503, "unavailable")
    d.releases += 1
    add_release(d.repo, d.releases)
    d.hand_repo_to_image_user()
    wait_for("the worker to log a failed round", lambda: "this round failed" in project.logs("worker"), timeout=60)
    project.compose("start", "db")
    wait_for("the db to be healthy again", lambda: project.health("db") == "healthy")
    wait_for("the web to answer again", lambda: _web_answers(d), timeout=60)
    assert project.inspect("web")["State"]["StartedAt"] == web_started  # no restart needed
    wait_for(f"the worker to catch up with v2.{d.releases}", lambda: _all_ingested(d), timeout=120)
    status, _, body = _get(d, f"/api/v1/releases/v2.{d.releases}")
    assert status == 200 and json.loads(body)["release"]["tag"] == f"v2.{d.releases}"


def test_web_stopped_and_started(deployment: Deployment) -> None:
    d = deployment
    before = _get(d, "/api/v1/subsystems")
    d.project.compose("stop", "web")
    with pytest.raises(urllib.error.URLError):
        _get(d, "/about")
    d.project.compose("start", "web")
    wait_for("the web to answer after its start", lambda: _web_answers(d), timeout=60)
    assert _get(d, "/api/v1/subsystems") == before


def _operations_blocks() -> list[str]:
    """The command blocks of docs/operations.md's "Back up and restore", as written."""
    text_ = (ROOT / "docs" / "operations.md").read_text()
    section = text_.split("## Back up and restore", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"((?:^    .*\n)+)", section, flags=re.MULTILINE)
    return ["".join(line[4:] + "\n" for line in block.splitlines()) for block in blocks]


def test_backup_then_restore_into_a_fresh_deployment(deployment: Deployment) -> None:
    """docs/operations.md's commands: pg_dump from the db container, `down -v`, a fresh deployment restored
    from the dump: the web shows the same numbers, and the database holds the same rows."""
    d = deployment
    project = d.project
    backup, restore = _operations_blocks()
    assert "pg_dump" in backup and "pg_restore" in restore
    numbers = {path: _get(d, path) for path in NUMBERS}
    assert all(status == 200 for status, _, _ in numbers.values())
    engine = make_engine(d.owner_url)
    try:
        rows = dump(engine)
    finally:
        engine.dispose()

    project.shell(backup)
    assert (project.workdir / "nofs.dump").stat().st_size > 10_000
    project.down()
    with pytest.raises(DeployError):
        project.container("db")  # gone, and its volume with it
    project.shell(restore)

    wait_for("the restored deployment's web", lambda: _web_answers(d), timeout=120)
    assert {path: _get(d, path) for path in NUMBERS} == numbers
    engine = make_engine(d.owner_url)
    try:
        assert dump(engine) == rows
    finally:
        engine.dispose()
