"""Which tracked files changed between two trees, by pygit2's tree diff (no rename detection)."""

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pygit2

REGULAR_FILE_MODES = frozenset({pygit2.GIT_FILEMODE_BLOB, pygit2.GIT_FILEMODE_BLOB_EXECUTABLE})


def glob_matcher(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for the path globs; '*' crosses '/', as in a git pathspec such as 'fs/*.c'."""
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs))


@dataclass(frozen=True, slots=True)
class FileChange:
    """One tracked file before and after; None where it is absent (or not a regular file)."""

    path: str
    old: str | None
    new: str | None


def _blob(entry: pygit2.DiffFile) -> str | None:
    return str(entry.id) if entry.mode in REGULAR_FILE_MODES else None


def file_changes(old: pygit2.Tree | None, new: pygit2.Tree | None, tracked: re.Pattern[str]) -> list[FileChange]:
    """Tracked files that differ between two trees (None: the empty tree). No rename detection."""
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        diff = new.diff_to_tree(swap=True)
    elif new is None:
        diff = old.diff_to_tree()
    else:
        diff = old.diff_to_tree(new)
    changes = []
    for delta in diff.deltas:
        path = delta.new_file.path
        if tracked.match(path):
            before, after = _blob(delta.old_file), _blob(delta.new_file)
            if before != after:
                changes.append(FileChange(path, before, after))
    return changes


def changed_files(
    repo: pygit2.Repository, old_tree: str | None, new_tree: str, tracked: re.Pattern[str]
) -> Iterator[tuple[str, str | None]]:
    """(path, blob id) for each tracked regular file that is new or changed; (path, None) when it is gone."""
    old = repo[old_tree].peel(pygit2.Tree) if old_tree else None
    for change in file_changes(old, repo[new_tree].peel(pygit2.Tree), tracked):
        yield change.path, change.new


class TreePaths:
    """Entries by path in one tree; directories are looked up once (a path lookup from the root costs 35 us on a
    kernel tree, most of it finding the same directories again)."""

    def __init__(self, tree: pygit2.Tree) -> None:
        self._directories: dict[str, pygit2.Tree | None] = {"": tree}

    def blob_at(self, path: str) -> str | None:
        """The id of the entry at `path`, whatever it is; None where there is none."""
        entry = self._entry(path)
        return str(entry.id) if entry is not None else None

    def regular_blob(self, path: str) -> str | None:
        """The id of the regular file at `path`; None where there is none, or something else."""
        entry = self._entry(path)
        return str(entry.id) if entry is not None and entry.filemode in REGULAR_FILE_MODES else None

    def _entry(self, path: str) -> pygit2.Object | None:
        directory, _, name = path.rpartition("/")
        tree = self._directory(directory)
        if tree is None:
            return None
        try:
            return tree[name]
        except KeyError:
            return None

    def _directory(self, path: str) -> pygit2.Tree | None:
        if path in self._directories:
            return self._directories[path]
        parent, _, name = path.rpartition("/")
        above = self._directory(parent)
        found = None
        if above is not None:
            try:
                entry = above[name]
            except KeyError:
                entry = None
            if isinstance(entry, pygit2.Tree):
                found = entry
        self._directories[path] = found
        return found


def is_directory(tree: pygit2.Tree, path: str) -> bool:
    try:
        return tree[path.rstrip("/")].type == pygit2.GIT_OBJECT_TREE
    except (KeyError, ValueError):
        return False
