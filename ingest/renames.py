"""Which deleted file became which added one, by git's rename detection (the only I/O of the change split)."""

import subprocess
from collections.abc import Sequence
from typing import Final

from app.change_rules import RENAME_SIMILARITY

# Above this many bytes of paths the pathspec is left out: git then pairs among all the step's files, within
# its own rename limit (exact renames always).
PATHSPEC_MAX_BYTES: Final = 64 << 10


def parse_renames(output: bytes) -> dict[str, str]:
    """new path -> old path from `git diff-tree -z -r -M --diff-filter=R` output."""
    fields = output.split(b"\0")
    found: dict[str, str] = {}
    index = 0
    while index + 2 < len(fields):
        if fields[index].startswith(b":") and fields[index].rsplit(b" ", 1)[-1].startswith(b"R"):
            old = fields[index + 1].decode("utf-8", "surrogateescape")
            new = fields[index + 2].decode("utf-8", "surrogateescape")
            found[new] = old
            index += 3
        else:
            index += 1
    return found


def renames(repo_dir: str, old: str, new: str, paths: Sequence[str]) -> dict[str, str]:
    """new path -> old path for files git pairs as renamed between two revisions, among `paths`."""
    if not old:
        return {}
    command = ["git", "--literal-pathspecs", "-C", repo_dir, "diff-tree", "-z", "-r", "--no-abbrev"]
    command += [f"-M{RENAME_SIMILARITY}%", "--diff-filter=R", old, new]
    if sum(len(p.encode("utf-8", "surrogateescape")) + 1 for p in paths) <= PATHSPEC_MAX_BYTES:
        command += ["--", *paths]
    output = subprocess.run(command, capture_output=True, check=True).stdout
    wanted = set(paths)
    return {new_path: old_path for new_path, old_path in parse_renames(output).items() if new_path in wanted}
