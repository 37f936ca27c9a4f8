import subprocess
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ingest.paths import from_stored, to_stored
from tests.gitrepo import RepoBuilder

# a path's bytes as git keeps them: anything but NUL, with '/' between non-empty names
NAMES = st.binary(min_size=1, max_size=12).filter(lambda b: b"\0" not in b and b"/" not in b)


@given(st.lists(NAMES, min_size=1, max_size=4))
def test_every_path_round_trips(parts: list[bytes]) -> None:
    path = b"/".join(parts).decode("utf-8", "surrogateescape")
    stored = to_stored(path)
    assert from_stored(stored) == path
    assert "\udce9" not in stored and stored.encode("utf-8")  # storable as text


def test_plain_paths_stay_as_they_are() -> None:
    for path in ("fs/btrfs/inode.c", "fs/ext4/\"<b>x</b>'.c", "drivers/staging/rtl8192e/ü.c"):
        assert to_stored(path) == path


def test_other_paths_are_quoted_exactly_as_git_shows_them(tmp_path: Path) -> None:
    paths = ["fs/caf\udce9.c", '"leading-quote.c', "tab\there.c", "new\nline.c", "back\\slash\udcff.c"]
    repo = RepoBuilder(tmp_path / "r")
    repo.commit({path: b"x\n" for path in paths})
    listed = subprocess.run(["git", "-C", str(tmp_path / "r"), "ls-tree", "-r", "--name-only", "HEAD"],
                            capture_output=True, check=True).stdout.decode().splitlines()  # fmt: skip
    quoted = sorted(listed)
    assert sorted(to_stored(path) for path in paths) == quoted
