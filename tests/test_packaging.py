"""A plain wheel carries everything the app reads: every module, the templates and the static files."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from click.testing import CliRunner

from app.assets import asset_dir
from cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def _tracked(directory: str) -> set[str]:
    return {str(p.relative_to(ROOT / directory)) for p in (ROOT / directory).rglob("*") if p.is_file()}


def test_the_wheel_holds_the_code_the_templates_and_the_static_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("nofs-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("app", "cli", "ingest", "migrations"):
        modules = {f"{package}/{p.relative_to(ROOT / package)}" for p in (ROOT / package).rglob("*.py")}
        assert modules <= names, sorted(modules - names)
    for directory in ("templates", "static"):
        assert {f"app/{directory}/{name}" for name in _tracked(directory)} <= names
    assert "app/templates/partials/_chart.html" in names and "app/static/vendor/htmx.min.js" in names
    assert not any(name.startswith(("tests/", "templates/", "static/")) for name in names)


def test_a_checkout_reads_the_top_level_directories() -> None:
    assert asset_dir("templates") == ROOT / "templates"
    assert asset_dir("static") == ROOT / "static"


def test_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = CliRunner().invoke(main, ["--version"], prog_name="nofs")
    assert (result.exit_code, result.output) == (0, f"nofs {version}\n")
