"""Driving the real docker-compose deployment: the engine, the base images, one compose project."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGES_SCRIPT = ROOT / "deploy" / "test-images" / "build.sh"
WHEELHOUSE = ROOT / "deploy" / "wheelhouse"
LOCKS = (ROOT / "deploy" / "requirements.lock", ROOT / "deploy" / "build-requirements.lock")


class DeployError(AssertionError):
    """Something the deployment should do and did not: the test fails with this message."""


def run(args: Sequence[str | Path], env: dict[str, str] | None = None, timeout: float = 900, **kw: Any) -> str:
    """A command's stdout; its stderr and status in the failure when it fails."""
    done = subprocess.run([str(a) for a in args], env=env, capture_output=True, text=True, timeout=timeout, **kw)
    if done.returncode != 0:
        command = " ".join(map(str, args))
        raise DeployError(f"{command} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def require_docker() -> None:
    """Fail loudly, not skip: the deploy test is the only proof that the deployment runs."""
    if shutil.which("docker") is None:
        raise DeployError("no docker CLI: `apt-get install docker.io` (.ci/run does it)")
    probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise DeployError(f"no Docker engine answers ({probe.stderr.strip()}): start dockerd (.ci/run does it)")


def compose_command() -> list[str]:
    """`docker compose` (v2) when the plugin is there, else Debian's `docker-compose` (v1.29)."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise DeployError("neither `docker compose` nor `docker-compose`: `apt-get install docker-compose`")


def base_images() -> dict[str, str]:
    """NOFS_PYTHON_IMAGE and NOFS_POSTGRES_IMAGE, built from Debian packages when not already there."""
    output = run(["bash", BASE_IMAGES_SCRIPT], timeout=1200)
    return dict(line.split("=", 1) for line in output.split())


def fill_wheelhouse() -> None:
    """The locked wheels, fetched by this machine's pip (which knows its way to PyPI) for the image build."""
    args: list[str | Path] = [sys.executable, "-m", "pip", "download", "-q", "--require-hashes", "--no-deps"]
    args += ["--only-binary", ":all:", "--dest", WHEELHOUSE]
    for lock in LOCKS:
        args += ["-r", lock]
    run(args)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120, every: float = 0.5) -> Any:
    """check()'s first true value; a DeployError naming WHAT (and the last exception) after TIMEOUT seconds."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # retried until the deadline, then reported
            last = exc
        time.sleep(every)
    raise DeployError(f"timed out after {timeout:.0f} s waiting for {what}" + (f": {last!r}" if last else ""))


def http_get(url: str, timeout: float = 10) -> tuple[int, str, bytes]:
    """Status, content type and body; an HTTP error status is an answer too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


_COMPOSE_V1_AS_V2 = """docker() {
  if [ "$1" = compose ]; then shift; docker-compose "$@"; else command docker "$@"; fi
}"""


class Project:
    """One compose project: docker-compose.yml with deploy/compose.test.yml over it, merged once.

    Host networking cannot publish ports (compose v1 refuses `ports:` beside it and v1 cannot reset a
    list from an override file), so the merged file is written without the web's `ports:`; everything
    else is the two files as compose merges them.
    """

    def __init__(self, name: str, workdir: Path, settings: dict[str, str]) -> None:
        self.name = name
        self.workdir = workdir
        self.command = compose_command()
        self.env = {**os.environ, **settings, "COMPOSE_PROJECT_NAME": name, "DOCKER_BUILDKIT": "0"}
        self.env.pop("COMPOSE_FILE", None)
        merged = self.compose("-f", ROOT / "docker-compose.yml", "-f", ROOT / "deploy" / "compose.test.yml", "config")
        config = yaml.safe_load(merged)
        for service in config["services"].values():
            service.pop("ports", None)
        self.file = workdir / "compose.yml"
        self.file.write_text(yaml.safe_dump(config, sort_keys=False))
        self.env["COMPOSE_FILE"] = str(self.file)
        self.config = config

    def compose(self, *args: str | Path, timeout: float = 900) -> str:
        return run([*self.command, *args], env=self.env, timeout=timeout, cwd=self.workdir)

    def container(self, service: str) -> str:
        ids = self.compose("ps", "-q", service).split()
        if len(ids) != 1:
            raise DeployError(f"expected one {service} container, found {ids}")
        return ids[0]

    def inspect(self, service: str) -> dict[str, Any]:
        return json.loads(run(["docker", "inspect", self.container(service)]))[0]

    def health(self, service: str) -> str:
        return self.inspect(service)["State"].get("Health", {}).get("Status", "none")

    def logs(self, service: str) -> str:
        done = subprocess.run(["docker", "logs", self.container(service)], capture_output=True, text=True, check=True)
        return done.stdout + done.stderr

    def shell(self, script: str) -> str:
        """SCRIPT in bash inside the project's directory, its `docker compose` being this project's compose
        (COMPOSE_FILE and COMPOSE_PROJECT_NAME are set; with v1, `docker compose` becomes `docker-compose`)."""
        prelude = _COMPOSE_V1_AS_V2 if self.command == ["docker-compose"] else ""
        return run(["bash", "-euo", "pipefail", "-c", f"{prelude}\n{script}"], env=self.env, cwd=self.workdir)

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", "--timeout", "10")
