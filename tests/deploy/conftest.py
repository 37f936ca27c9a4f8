"""The deployment the deploy test drives: built, up, and always taken down again (with its volumes)."""

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.deploy.compose import ROOT, DeployError, Project, base_images, fill_wheelhouse, port_is_free, require_docker
from tests.deploy.history import build_deploy_history
from tests.gitrepo import RepoBuilder

PROJECT = "nofs-deploy-test"
DB_PORT = 55432  # not the machine's own PostgreSQL on 5432
WEB_PORT = 58000
OWNER_PASSWORD = "owner-secret"
READER_PASSWORD = "reader-secret"
FIRST_RELEASES = 10  # v2.1 … v2.10 on top of v1.9, v1.10, v2.0
# The image's user, who must own the mounted repository (git and libgit2 refuse another owner's).
IMAGE_UID = int(re.search(r"--uid (\d+)", (ROOT / "Dockerfile").read_text()).group(1))  # type: ignore[union-attr]


@dataclass
class Deployment:
    project: Project
    repo: RepoBuilder
    image: str
    base_image: str
    releases: int = FIRST_RELEASES  # the newest v2.N in the repository
    owner_url: str = f"postgresql+psycopg://nofs:{OWNER_PASSWORD}@127.0.0.1:{DB_PORT}/nofs"
    reader_url: str = f"postgresql+psycopg://nofs_reader:{READER_PASSWORD}@127.0.0.1:{DB_PORT}/nofs"
    web: str = f"http://127.0.0.1:{WEB_PORT}"
    numbers: dict[str, bytes] = field(default_factory=dict)

    @property
    def tags(self) -> list[str]:
        """The releases the worker takes: mainline since v1.9 (not v1.10.1, a stable one, nor v2.0-rc1)."""
        return ["v1.9", "v1.10", "v2.0", *(f"v2.{n}" for n in range(1, self.releases + 1))]

    def hand_repo_to_image_user(self) -> None:
        subprocess.run(["chown", "-R", f"{IMAGE_UID}:{IMAGE_UID}", str(self.repo.path)], check=True)


@pytest.fixture(scope="module")
def deployment(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    require_docker()
    for port in (DB_PORT, WEB_PORT):
        if not port_is_free(port):
            raise DeployError(f"127.0.0.1:{port} is taken: the deploy test's services listen there")
    images = base_images()
    fill_wheelhouse()
    workdir = tmp_path_factory.mktemp("deploy")
    repo = build_deploy_history(workdir / "linux", FIRST_RELEASES)
    settings = {
        **images,
        "NOFS_IMAGE": "nofs-test/nofs:latest",
        "POSTGRES_PASSWORD": OWNER_PASSWORD,
        "NOFS_READER_PASSWORD": READER_PASSWORD,
        "NOFS_REPOSITORY_URL": "/repo",
        "NOFS_TEST_REPO": str(repo.path),
        "NOFS_SINCE": "v1.9",
        "NOFS_WATCH_SECONDS": "2",
        "NOFS_WEB_WORKERS": "1",
        "NOFS_DB_PORT": str(DB_PORT),
        "NOFS_WEB_PORT": str(WEB_PORT),
    }
    project = Project(PROJECT, workdir, settings)
    deployment = Deployment(project, repo, settings["NOFS_IMAGE"], images["NOFS_PYTHON_IMAGE"])
    deployment.hand_repo_to_image_user()
    project.down()  # what an earlier run that was itself killed may have left
    try:
        project.compose("build")
        project.compose("up", "-d")
        yield deployment
    finally:
        if request.session.testsfailed:  # what each service said, for the failure's report
            print(project.compose("logs", "--no-color", "--tail", "40"), file=sys.stderr)
        project.down()
