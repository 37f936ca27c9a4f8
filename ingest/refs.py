"""A repository's tags as git lists them, without opening the repository in libgit2: enough to see that a
run has nothing to do (every selected tag's commit is stored) before the git machinery is imported."""

import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.errors import IngestError
from ingest.fetch import mirror, mirror_path
from ingest.tags import TagSelection

# For an annotated tag the starred fields are those of the object it points at. Only what peeling needs:
# the commits' trees and dates are read for the releases to ingest alone (half the time on 6,000 tags).
_FORMAT = "%00".join(["%(refname)", "%(objecttype)", "%(objectname)", "%(*objecttype)", "%(*objectname)"])


@dataclass(frozen=True)
class TaggedCommit:
    """A tag and the commit it points at: what deciding whether a release is stored needs."""

    name: str
    commit_id: str


@dataclass(frozen=True)
class TagTarget(TaggedCommit):
    """A tag's commit with what ingesting it needs."""

    tree_id: str
    commit_date: datetime


@dataclass(frozen=True)
class SkippedTag:
    name: str
    reason: str


_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


def is_url(source: str) -> bool:
    return "://" in source or bool(_SCP_LIKE.match(source))


def locate(source: str, cache_dir: Path, selection: TagSelection | None = None, refs: tuple[str, ...] = ()) -> str:
    """The git directory to read: a local repository's own (bare or not), or a URL's mirror, fetched first
    (with `selection.since`, only what it needs, and the moving `refs`)."""
    if is_url(source):
        source = str(mirror(source, cache_dir, selection, refs))
    path = Path(source).expanduser()
    if not path.exists():
        raise IngestError(f"{source}: no such file or directory")
    found = subprocess.run(["git", "-C", str(path), "rev-parse", "--absolute-git-dir"], capture_output=True, text=True)
    if found.returncode != 0:
        raise IngestError(f"{source} is not a git repository")
    return found.stdout.strip()


def _git_tags(git_dir: str, format: str) -> list[bytes] | None:
    """One line a tag; None when git fails (it reads the objects a format names, and a shallow clone
    may lack one)."""
    listing = subprocess.run(
        ["git", "--git-dir", git_dir, "for-each-ref", f"--format={format}", "refs/tags/"], capture_output=True
    )
    return listing.stdout.splitlines() if listing.returncode == 0 else None


def _name(ref: bytes) -> str:
    return ref.removeprefix(b"refs/tags/").decode("utf-8", "surrogateescape")


def tag_names(git_dir: str) -> list[str]:
    """Every tag's name. Asked of git, which reads only refs/tags: libgit2 walks every ref, 80 ms for
    a repository of 10,000 branches."""
    listing = _git_tags(git_dir, "%(refname)")
    if listing is None:
        raise IngestError(f"{git_dir}: git cannot list its tags")
    return [_name(ref) for ref in listing]


def peeled_tags(git_dir: str) -> dict[str, TaggedCommit | SkippedTag | None]:
    """Each tag's commit, or why it is no release: it points at a tree or a blob (torvalds/linux's v2.6.11
    and v2.6.11-tree point at trees: that history predates git). None where git's one step of peeling does
    not reach an end (a tag of a tag), and for every tag when git cannot read one of the objects (a shallow
    clone): libgit2 resolves those (ingest.repo.resolve_tag)."""
    listing = _git_tags(git_dir, _FORMAT)
    if listing is None:
        return dict.fromkeys(tag_names(git_dir))
    result: dict[str, TaggedCommit | SkippedTag | None] = {}
    for line in listing:
        fields = line.split(b"\0")
        name = _name(fields[0])
        own_kind, own_oid, kind, oid = (field.decode() for field in fields[1:5])
        if own_kind != "tag":
            kind, oid = own_kind, own_oid
        if kind == "commit":
            result[name] = TaggedCommit(name, oid)
        elif kind in ("tree", "blob"):
            result[name] = SkippedTag(name, f"points at a {kind}, not a commit")
        else:
            result[name] = None
    return result


def described(git_dir: str, tags: list[TaggedCommit]) -> list[TagTarget]:
    """The tags with their commits' trees and dates, in their order: one `git log` for those not known yet."""
    wanted = sorted({t.commit_id for t in tags if not isinstance(t, TagTarget)})
    details: dict[str, tuple[str, datetime]] = {}
    if wanted:
        log = subprocess.run(
            ["git", "--git-dir", git_dir, "log", "--no-walk=unsorted", "--stdin", "--format=%H%x00%T%x00%cI"],
            input="\n".join(wanted).encode(),
            capture_output=True,
            check=True,
        ).stdout
        for line in log.decode().splitlines():
            oid, tree, date = line.split("\0")
            details[oid] = (tree, datetime.fromisoformat(date).astimezone(UTC))
    return [t if isinstance(t, TagTarget) else TagTarget(t.name, t.commit_id, *details[t.commit_id]) for t in tags]


def locate_ingested(source: str, cache_dir: Path) -> str:
    """The git directory an ingest of `source` read, fetching nothing: a URL's mirror as the ingest left it (a
    fetch without the ingest's selection would complete a shallow mirror: the whole history)."""
    if is_url(source):
        path = mirror_path(cache_dir, source)
        if not (path / "HEAD").exists():
            raise IngestError(f"{source} has no mirror in {cache_dir}: run `nofs ingest {source}` first")
        source = str(path)
    return locate(source, cache_dir)


def remote_of(source: str, git_dir: str) -> str | None:
    """Where the repository comes from: the URL ingested, or a local repository's `origin` (None without one)."""
    if is_url(source):
        return source
    found = subprocess.run(["git", "--git-dir", git_dir, "remote", "get-url", "origin"], capture_output=True, text=True)
    return found.stdout.strip() or None if found.returncode == 0 else None
