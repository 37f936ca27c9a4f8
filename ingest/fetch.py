"""Mirror a repository given by URL into the cache: all of it, or only the history the selected releases need.

With `--since` the remote's tags are listed first (`git ls-remote`) and selected exactly as the ingest
selects them; only those tags are fetched, oldest first, in steps of FETCH_BATCH, each one shallow below
the mainline release before the oldest selected one (`--shallow-exclude`). The first ingested release has
no interval, so nothing older is needed; the one release cycle kept below it gives the merge bases of
topic branches forked in that cycle. An interrupted fetch loses only its current step: git updates refs
and the `shallow` file only once a step's pack is complete, and a re-run skips the tags already there.
"""

import hashlib
import logging
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.lines import Line, Scheme
from ingest.errors import IngestError
from ingest.tags import SelectedTag, TagSelection, is_glob, newest_matching, scheme_of, select_tags
from ingest.versions import ReleaseVersion, parse_tag

log = logging.getLogger(__name__)

# Tags fetched in one step. Eight kernel releases are about 100,000 commits and 450 MB of pack (estimated in
# docs/operations.md): what an interruption can cost, against a negotiation and a server-side walk per step.
FETCH_BATCH = 8
# The mirror remembers the tag its history stops below, so that an older --since deepens it.
BOUNDARY_CONFIG = "nofs.shallowexclude"


def mirror_path(cache_dir: Path, url: str) -> Path:
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", url.rstrip("/").rsplit("/", 1)[-1])[:40] or "repo"
    return cache_dir / "repos" / f"{readable}-{hashlib.sha256(url.encode()).hexdigest()[:12]}.git"


def _git(args: list[str], what: str, stdin: str | None = None) -> str:
    """Run git; its progress goes to a terminal, a failure comes back as one line. Returns its stdout."""
    result = subprocess.run(
        ["git", *args],
        input=stdin.encode() if stdin is not None else None,
        stdout=subprocess.PIPE,
        stderr=None if sys.stderr.isatty() else subprocess.PIPE,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or b"").decode(errors="replace").strip().splitlines()
        raise IngestError(f"{what} failed: {detail[-1] if detail else f'git exited {result.returncode}'}")
    return result.stdout.decode(errors="replace")


@dataclass(frozen=True)
class FetchPlan:
    """What to fetch into a mirror for one selection.

    `boundary`: the tag whose history is left out (None: the whole history of the tags); `steps`: the
    selected tags not yet in the mirror (or moved), oldest first, in batches; `deepen`: the mirror's
    history stops too late for this selection, so every tag in it is fetched once more down to `boundary`
    (git cuts a commit's parents for good until a fetch that wants it says otherwise).
    """

    boundary: str | None
    steps: list[list[str]]
    deepen: bool


def tag_before(
    names: list[str], oldest: SelectedTag, pattern: re.Pattern[str], scheme: Scheme = Scheme.KERNEL
) -> str | None:
    """The newest mainline release older than `oldest` (an ancestor of it on the kernel's history, unlike
    the stable releases that sort between them); any older tag when there is no mainline one."""
    older: list[tuple[ReleaseVersion, str]] = []
    for name in names:
        version = parse_tag(name, pattern, scheme) if pattern.search(name) else None
        if version is not None and version.key < oldest.version.key:
            older.append((version, name))
    mainline = [item for item in older if item[0].line == Line.MAINLINE] or older
    return max(mainline, key=lambda item: (item[0].key, item[1]))[1] if mainline else None


def plan_fetch(
    remote: Mapping[str, str],
    local: Mapping[str, str],
    selection: TagSelection,
    recorded: str | None,
    shallow: bool,
    batch: int = FETCH_BATCH,
) -> FetchPlan:
    """Pure: the fetch that gives a mirror holding `local` tags (name -> object id), shallow below
    `recorded` when `shallow`, the selected releases among `remote` and the history their ingest needs."""
    pattern = re.compile(selection.pattern)
    scheme = scheme_of(remote, selection).scheme
    selected = select_tags(list(remote), selection, scheme)
    wanted = tag_before(list(remote), selected[0], pattern, scheme)
    boundary, deepen = wanted, False
    if shallow:
        recorded_version = parse_tag(recorded, pattern, scheme) if recorded is not None else None
        wanted_version = parse_tag(wanted, pattern, scheme) if wanted is not None else None
        if recorded_version is None or wanted_version is None or wanted_version.key < recorded_version.key:
            deepen = True  # the mirror stops too late (or we cannot tell where it stops)
        else:
            boundary = recorded  # keep the deeper history fetched before: new tags are cut below it too
    missing = [tag.name for tag in selected if local.get(tag.name) != remote[tag.name]]
    return FetchPlan(boundary, [missing[i : i + batch] for i in range(0, len(missing), batch)], deepen)


def remote_tags(url: str) -> dict[str, str]:
    """Tag name -> the object it names (a tag object for an annotated tag), as the remote lists them."""
    listing = _git(["ls-remote", "--tags", url], f"listing the tags of {url}")
    tags = {}
    for line in listing.splitlines():
        oid, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            tags[ref.removeprefix("refs/tags/")] = oid
    return tags


def local_tags(path: Path) -> dict[str, str]:
    listing = _git(["-C", str(path), "for-each-ref", "--format=%(objectname) %(refname)", "refs/tags/"], "listing tags")
    return {ref.removeprefix("refs/tags/"): oid for oid, ref in (line.split(" ", 1) for line in listing.splitlines())}


def is_shallow(path: Path) -> bool:
    return (path / "shallow").exists()


def _recorded_boundary(path: Path) -> str | None:
    result = subprocess.run(
        ["git", "-C", str(path), "config", "--get", BOUNDARY_CONFIG], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or None


def _fetch_tags(path: Path, url: str, tags: list[str], boundary: str | None, what: str) -> None:
    # Shallow flags only where they mean something: --unshallow on a complete repository is an error.
    depth = [f"--shallow-exclude=refs/tags/{boundary}"] if boundary else (["--unshallow"] if is_shallow(path) else [])
    refspecs = "".join(f"+refs/tags/{tag}:refs/tags/{tag}\n" for tag in tags)
    _git(["-C", str(path), "fetch", "--no-tags", "--progress", *depth, "--stdin", "origin"], what, refspecs)


def mirror(url: str, cache_dir: Path, selection: TagSelection | None = None, refs: tuple[str, ...] = ()) -> Path:
    """Clone `url` as a bare mirror into the cache, or fetch it again when it is already there.

    With a selection that has `since`, only the selected tags and the history after the release before
    them (see the module's docstring); a complete mirror stays complete, a shallow one without `since`
    is completed.
    """
    path = mirror_path(cache_dir, url)
    exists = (path / "HEAD").exists()
    if selection is not None and selection.since is not None and not (exists and not is_shallow(path)):
        _mirror_since(url, path, selection, exists, refs)
    elif exists:
        log.info("fetching %s into %s", url, path)
        complete = ["--unshallow"] if is_shallow(path) else []
        _git(["-C", str(path), "fetch", "--prune", "--progress", *complete, "origin"], f"fetching {url}")
        subprocess.run(["git", "-C", str(path), "config", "--unset", BOUNDARY_CONFIG], check=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        log.info("cloning %s as a mirror into %s", url, path)
        partial = path.with_name(path.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        _git(["clone", "--mirror", "--progress", url, str(partial)], f"cloning {url}")
        partial.rename(path)
    return path


def _mirror_since(url: str, path: Path, selection: TagSelection, exists: bool, refs: tuple[str, ...]) -> None:
    remote = remote_tags(url)
    try:
        plan = plan_fetch(
            remote,
            local_tags(path) if exists else {},
            selection,
            _recorded_boundary(path) if exists else None,
            exists,
            FETCH_BATCH,
        )
    except IngestError as exc:
        raise IngestError(f"{url}: {exc}") from exc
    below = f"history after {plan.boundary}" if plan.boundary else "their whole history"
    target = path
    if not exists:
        # A new mirror is built aside until its first step is in: a killed first fetch leaves no mirror.
        path.parent.mkdir(parents=True, exist_ok=True)
        target = path.with_name(path.name + ".partial")
        shutil.rmtree(target, ignore_errors=True)
        _git(["init", "--quiet", "--bare", str(target)], f"creating {target}")
        _git(["-C", str(target), "remote", "add", "--mirror=fetch", "origin", url], f"configuring {target}")
        if plan.boundary:
            _git(["-C", str(target), "config", BOUNDARY_CONFIG, plan.boundary], f"configuring {target}")
    total = sum(len(step) for step in plan.steps)
    done = 0
    for number, step in enumerate(plan.steps, start=1):
        log.info(
            "fetching %s: tags %d-%d of %d (%s … %s), %s; step %d of %d",
            url, done + 1, done + len(step), total, step[0], step[-1], below, number, len(plan.steps),
        )  # fmt: skip
        _fetch_tags(target, url, step, plan.boundary, f"fetching {', '.join(step)} from {url}")
        done += len(step)
        if target != path:
            target.rename(path)
            target = path
    if plan.deepen:
        # Commits cut at the old boundary keep no parents until a fetch that wants them sets a deeper one.
        tags = sorted(local_tags(path))
        log.info("fetching %s: deepening the %d tag(s) of the mirror to the %s", url, len(tags), below)
        _fetch_tags(path, url, tags, plan.boundary, f"deepening the mirror of {url}")
        if plan.boundary:
            _git(["-C", str(path), "config", BOUNDARY_CONFIG, plan.boundary], f"configuring {path}")
        else:
            subprocess.run(["git", "-C", str(path), "config", "--unset", BOUNDARY_CONFIG], check=False)
    if not plan.steps and not plan.deepen:
        log.info("%s: the mirror holds every selected release already", url)
    if refs:
        # Moving refs move: fetched every round, cut at the same boundary as the releases.
        refspecs = [refspec for spec in refs if (refspec := ref_refspec(spec, remote)) is not None]
        log.info("fetching %s: the moving ref(s) %s", url, ", ".join(refs))
        depth = [f"--shallow-exclude=refs/tags/{plan.boundary}"] if plan.boundary else []
        _git(["-C", str(path), "fetch", "--no-tags", "--progress", *depth, "--stdin", "origin"],
             f"fetching {', '.join(refs)} from {url}", "".join(f"{r}\n" for r in refspecs))  # fmt: skip


def ref_refspec(spec: str, remote: Mapping[str, str]) -> str | None:
    """Pure: the refspec that fetches a moving ref: a branch, or the newest remote tag matching a glob."""
    if is_glob(spec):
        tag = newest_matching(remote, spec)
        return f"+refs/tags/{tag}:refs/tags/{tag}" if tag else None
    ref = spec if spec.startswith("refs/") else f"refs/heads/{spec}"
    return f"+{ref}:{ref}"
