"""Which tracked files changed between two release trees (pygit2 tree diff skips unchanged subtrees)."""

import fnmatch
import re
from collections.abc import Iterator

import pygit2

REGULAR_FILE_MODES = frozenset({pygit2.GIT_FILEMODE_BLOB, pygit2.GIT_FILEMODE_BLOB_EXECUTABLE})


def glob_matcher(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for the path globs; '*' crosses '/', as in a git pathspec such as 'fs/*.c'."""
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs))


def changed_files(
    repo: pygit2.Repository, old_tree: str | None, new_tree: str, tracked: re.Pattern[str]
) -> Iterator[tuple[str, str | None]]:
    """(path, blob id) for each tracked regular file that is new or changed; (path, None) when it is gone."""
    new = repo[new_tree].peel(pygit2.Tree)
    diff = repo[old_tree].peel(pygit2.Tree).diff_to_tree(new) if old_tree else new.diff_to_tree(swap=True)
    for delta in diff.deltas:
        new = delta.new_file
        path = new.path  # no rename detection: old and new path are the same
        if not tracked.match(path):
            continue
        # status_char() is a plain str; the status and mode enums cost more than the rest of the loop
        if delta.status_char() != "D" and new.mode in REGULAR_FILE_MODES:
            yield path, str(new.id)
        else:
            yield path, None


def is_directory(tree: pygit2.Tree, path: str) -> bool:
    try:
        return tree[path.rstrip("/")].type == pygit2.GIT_OBJECT_TREE
    except (KeyError, ValueError):
        return False
