"""The repository in libgit2: what only a run with work to do needs (moving refs, tags git cannot peel in
one step, shallow boundaries, the commit-graph)."""

import logging
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import pygit2

from ingest.errors import IngestError
from ingest.refs import SkippedTag, TagTarget, tag_names
from ingest.tags import is_glob, newest_matching

log = logging.getLogger(__name__)


# libgit2 maps pack files in windows of 1 GiB, up to 8 GiB in all, and keeps them mapped: reading a kernel's
# history, the pages it touched were most of the ingest's memory (1.6 GB of a 2.1 GB peak). Smaller windows and
# a ceiling let it unmap the oldest; the pages stay in the kernel's page cache, which it can give back.
PACK_WINDOW: Final = 32 << 20
PACK_WINDOWS_MAPPED: Final = 256 << 20
# The same for git's own long readers (`git diff-tree --stdin` over an interval's commits).
GIT_PACK_LIMITS: Final = (
    "-c",
    f"core.packedGitWindowSize={PACK_WINDOW}",
    "-c",
    f"core.packedGitLimit={PACK_WINDOWS_MAPPED}",
)


def open_repository(git_dir: str) -> pygit2.Repository:
    """The repository ingest.refs.locate found, in libgit2: imported and opened only when there is work."""
    pygit2.settings.mwindow_size = PACK_WINDOW
    pygit2.settings.mwindow_mapped_limit = PACK_WINDOWS_MAPPED
    return pygit2.Repository(git_dir)


def ensure_commit_graph(repo_dir: str) -> None:
    """Write a commit-graph when the repository has none: `git merge-base` then walks by generation number
    instead of parsing every commit it passes. A repository we may not write to goes on without one."""
    objects = Path(
        subprocess.run(
            ["git", "-C", repo_dir, "rev-parse", "--path-format=absolute", "--git-path", "objects"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
    )  # fmt: skip
    if (objects / "info" / "commit-graph").exists() or (objects / "info" / "commit-graphs").is_dir():
        return
    if Path(repo_dir, "shallow").exists():
        log.info("no commit-graph in %s: git writes none in a shallow repository (slower merge bases)", repo_dir)
        return
    log.info("writing a commit-graph into %s (once, for fast merge bases)", repo_dir)
    result = subprocess.run(
        ["git", "-C", repo_dir, "commit-graph", "write", "--reachable"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()
        log.warning("no commit-graph written, merge bases will be slower: %s", detail[-1] if detail else "git failed")


def resolve_ref(repo: pygit2.Repository, spec: str) -> TagTarget:
    """A moving ref: a branch (`for-next`, `refs/remotes/origin/for-next`), or with a glob (`next-*`) the
    newest tag matching it. Named as the branch, or as the tag it resolved to."""
    if is_glob(spec):
        name = newest_matching(tag_names(repo.path), spec)
        if name is None:
            raise IngestError(f"--ref {spec}: no tag matches it")
        candidates, shown = [f"refs/tags/{name}"], name
    else:
        candidates = [spec] if spec.startswith("refs/") else []
        candidates += [f"refs/heads/{spec}", f"refs/remotes/origin/{spec}", f"refs/tags/{spec}"]
        shown = spec.removeprefix("refs/heads/").removeprefix("refs/remotes/")
    for ref in candidates:
        if ref in repo.references:
            target = _resolve(repo, ref, shown)
            if isinstance(target, SkippedTag):
                raise IngestError(f"--ref {spec}: {ref} {target.reason}")
            return target
    raise IngestError(f"--ref {spec}: no branch or tag of that name (looked for {', '.join(candidates)})")


def shallow_commits(repo: pygit2.Repository) -> frozenset[str]:
    """The commits whose parents a shallow clone cut off: git lists them in `<git dir>/shallow`, and
    pygit2 shows them without parents."""
    if not repo.is_shallow:
        return frozenset()
    return frozenset((Path(repo.path) / "shallow").read_text().split())


def _commit_date(commit: pygit2.Commit) -> datetime:
    offset = timezone(timedelta(minutes=commit.commit_time_offset))
    return datetime.fromtimestamp(commit.commit_time, offset).astimezone(UTC)


def resolve_tag(repo: pygit2.Repository, name: str) -> TagTarget | SkippedTag:
    return _resolve(repo, f"refs/tags/{name}", name)


def _resolve(repo: pygit2.Repository, ref: str, name: str) -> TagTarget | SkippedTag:
    """The commit a tag points at, through any chain of annotated tags; or why it has none.

    torvalds/linux's v2.6.11 and v2.6.11-tree point at a tree (that history predates git), and a tag may
    point at a blob (a signing key): such tags are not releases to count, so they are skipped, not fatal.
    """
    try:
        target = repo.references[ref].peel(None)
    except (pygit2.GitError, KeyError, ValueError, pygit2.InvalidSpecError) as exc:
        if repo.is_shallow:
            return SkippedTag(name, "its commit lies beyond the shallow clone's boundary (not fetched)")
        return SkippedTag(name, f"points at an object this repository does not have ({exc})")
    if isinstance(target, pygit2.Commit):
        return TagTarget(name, str(target.id), str(target.tree_id), _commit_date(target))
    return SkippedTag(name, f"points at a {target.type_str}, not a commit")
