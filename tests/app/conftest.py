"""The dashboard's fixtures: a client of the app over a history ingested into the test's database."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ingest.run import IngestOptions, ingest
from tests.kernel_like import WITH_STABLE, build_history
from tests.web import Serve, fresh_client


@pytest.fixture
def serve(engine: Engine, tmp_path: Path) -> Iterator[Serve]:
    """serve(build=build_history, commits=True): a history built by `build` in tmp_path/linux and ingested, every
    line but release candidates, and a client of a fresh app over it."""
    opened: list[TestClient] = []

    def serving(build: Callable[[Path], object] = build_history, commits: bool = True) -> TestClient:
        build(tmp_path / "linux")
        options = IngestOptions(str(tmp_path / "linux"), tmp_path / "cache", WITH_STABLE, jobs=1, commits=commits)
        ingest(engine, options)
        client = fresh_client().__enter__()
        opened.append(client)
        return client

    yield serving
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(serve: Serve) -> TestClient:
    """The kernel-like history's dashboard."""
    return serve()
