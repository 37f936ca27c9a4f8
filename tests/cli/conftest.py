"""The command line's fixtures: the kernel-like history every command is tried on."""

from pathlib import Path

import pytest

from tests.kernel_like import build_history


@pytest.fixture
def history(tmp_path: Path) -> Path:
    build_history(tmp_path / "linux")
    return tmp_path / "linux"
