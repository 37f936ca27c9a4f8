"""Which tags are releases, and in which order. Pure."""

import fnmatch
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from app.lines import KERNEL_TAG_PATTERN, SCHEME_GUESS, Line, Scheme
from ingest.errors import IngestError
from ingest.versions import ReleaseVersion, kernel_version, numbered_zero, parse_tag


@dataclass(frozen=True)
class TagSelection:
    """Tags matching `pattern`, of the lines asked for: mainline always, rc and stable on request."""

    pattern: str = KERNEL_TAG_PATTERN
    include_rc: bool = False
    include_stable: bool = False
    since: str | None = None
    until: str | None = None
    scheme: Scheme | None = None  # --lines; None: guessed from the tags (scheme_of)

    def lines(self) -> set[Line]:
        return (
            {Line.MAINLINE}
            | ({Line.RC} if self.include_rc else set())
            | ({Line.STABLE} if self.include_stable else set())
        )


@dataclass(frozen=True)
class SchemeChoice:
    """A repository's scheme and why: chosen by --lines, or guessed from its tags (the example that decided)."""

    scheme: Scheme
    rule: str


def scheme_of(names: Iterable[str], selection: TagSelection) -> SchemeChoice:
    """The kernel's lines when the tags matching the pattern look like the kernel's, one line when one of
    them is X.Y.0 or none has the kernel's shape (`zfs-2.2.0`); --lines decides when given."""
    if selection.scheme is not None:
        return SchemeChoice(selection.scheme, f"chosen: nofs ingest --lines {selection.scheme}")
    pattern = _compile(selection.pattern)
    shaped: list[tuple[str, ReleaseVersion]] = []
    for name in names:
        version = kernel_version(name) if pattern.search(name) else None
        if version is None:
            continue
        if numbered_zero(version):
            return SchemeChoice(Scheme.FLAT, f"{SCHEME_GUESS}; here {name} is X.Y.0")
        shaped.append((name, version))
    if not shaped:
        return SchemeChoice(Scheme.FLAT, f"{SCHEME_GUESS}; here no release tag has the kernel's shape")
    return SchemeChoice(Scheme.KERNEL, f"{SCHEME_GUESS}; here {len(shaped):,} tag(s) have it, none is X.Y.0")


@dataclass(frozen=True)
class SelectedTag:
    name: str
    version: ReleaseVersion


def is_glob(spec: str) -> bool:
    """A moving ref given as a tag glob (`next-*`) rather than a branch."""
    return any(ch in spec for ch in "*?[")


def newest_matching(tags: Iterable[str], glob: str) -> str | None:
    """The newest tag matching the glob, by version (next-20261120 after next-20261119); None without one."""
    versioned = [(v.key, tag) for tag in tags if fnmatch.fnmatchcase(tag, glob) and (v := parse_tag(tag)) is not None]
    return max(versioned)[1] if versioned else None


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise IngestError(f"tag pattern {pattern!r} is not a regular expression: {exc}") from exc


def _bound(tag: str | None, what: str, pattern: re.Pattern[str], scheme: Scheme) -> ReleaseVersion | None:
    if tag is None:
        return None
    version = parse_tag(tag, pattern, scheme)
    if version is None:
        raise IngestError(f"--{what} {tag!r} is not a version (expected something like v6.7, or a tag with a number)")
    return version


_FLAG = {Line.RC: "--rc", Line.STABLE: "--stable"}


def select_tags(names: list[str], selection: TagSelection, scheme: Scheme | None = None) -> list[SelectedTag]:
    """The release tags among `names`, oldest version first (v4.9 < v4.10 < v4.10.1, -rc before final),
    read under `scheme` (by default scheme_of the names).

    When tags match the pattern but none is selected, the error says why: which lines were left out
    (and the flag that adds them), or that no matching tag has a number to order it by.
    """
    scheme = scheme or scheme_of(names, selection).scheme
    pattern = _compile(selection.pattern)
    since = _bound(selection.since, "since", pattern, scheme)
    until = _bound(selection.until, "until", pattern, scheme)
    wanted = selection.lines()
    chosen: list[SelectedTag] = []
    matched, versionless, out_of_window = 0, 0, 0
    left_out: Counter[Line] = Counter()
    for name in names:
        if not pattern.search(name):
            continue
        matched += 1
        version = parse_tag(name, pattern, scheme)
        if version is None:
            versionless += 1
            continue
        if version.line not in wanted:
            left_out[version.line] += 1
            continue
        if (since is not None and version.key < since.key) or (until is not None and version.key > until.key):
            out_of_window += 1
            continue
        chosen.append(SelectedTag(name, version))
    if not chosen:
        raise IngestError(_nothing_selected(selection, matched, versionless, out_of_window, left_out))
    return sorted(chosen, key=lambda tag: (tag.version.key, tag.name))


def _nothing_selected(
    selection: TagSelection, matched: int, versionless: int, out_of_window: int, left_out: Counter[Line]
) -> str:
    base = f"no release tag matches {selection.pattern!r}"
    if not matched:
        return base
    reasons = []
    if versionless:
        reasons.append(f"{versionless} matching tag(s) hold no number to order them by")
    for line, count in sorted(left_out.items()):
        reasons.append(f"{count} are {line} releases: add {_FLAG[line]} to ingest them")
    if out_of_window:
        reasons.append(f"{out_of_window} lie outside --since {selection.since} --until {selection.until}")
    return f"{base} among the lines asked for: {matched} tag(s) match, but " + "; ".join(reasons)
