"""Split each commit's change in code occurrences into kinds of change (app/change_rules.py). Pure: blob facts
and git's renames in, one ChangeSplit per (path, identifier) out; the parts add up to the change in uses."""

from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field

from app.change_rules import ChangeKind, ChangeSplit
from app.registry import Kind
from ingest.count import Matcher, Occurrence
from ingest.history import Interval, Resolution
from ingest.tree import FileChange

Place = str | None  # the enclosing function, None at file scope


@dataclass(frozen=True, slots=True)
class BlobFacts:
    """What a split reads of one blob: its code occurrences per function, and the functions it defines (None
    when not read: reading them takes a lexer pass over the whole blob, see needs_functions)."""

    functions: frozenset[str] | None
    counts: Mapping[str, Mapping[Place, int]]  # identifier -> function -> code occurrences

    def holds(self, place: Place) -> bool:
        """A function with a tracked occurrence is defined here (the lexer named the occurrence after it)."""
        return any(place in places for places in self.counts.values())

    def has(self, place: Place) -> bool:
        if place is None or self.holds(place):
            return True
        assert self.functions is not None, "needs_functions should have asked for this blob's functions"
        return place in self.functions


EMPTY_FACTS = BlobFacts(frozenset(), {})


def blob_facts(data: bytes, matcher: Matcher) -> BlobFacts:
    counts, defined = matcher.code_by_function(data)
    return BlobFacts(defined, counts)


def facts_from(occurrences: Iterable[Occurrence]) -> BlobFacts:
    """The facts of a blob from its occurrences, as a scan gave or the database holds them; functions not read."""
    counts: dict[str, dict[Place, int]] = {}
    for o in occurrences:
        if o.kind == Kind.CODE:
            places = counts.setdefault(o.identifier, {})
            places[o.function] = places.get(o.function, 0) + 1
    return BlobFacts(None, counts)


def needs_functions(pairs: Iterable[tuple[str | None, str | None]], facts: Mapping[str, BlobFacts]) -> set[str]:
    """The blobs whose defined functions a split of these (before, after) pairs may ask about: a side that
    holds no occurrence in a function where the other side holds some."""
    needed: set[str] = set()
    for old, new in pairs:
        if old is None or new is None:
            continue
        for this, other in ((old, new), (new, old)):
            places = {p for ps in facts[other].counts.values() for p in ps if p is not None}
            if any(not facts[this].holds(place) for place in places):
                needed.add(this)
    return needed


def _count(facts: BlobFacts | None, identifier: str, place: Place) -> int:
    return 0 if facts is None else facts.counts.get(identifier, {}).get(place, 0)


def _places(identifier: str, *sides: BlobFacts | None) -> list[Place]:
    found = {place for side in sides if side is not None for place in side.counts.get(identifier, {})}
    return sorted(found, key=lambda place: (place is not None, place or ""))


@dataclass
class _Splitter:
    """Accumulates one commit's split; functions that vanish in one file and appear in another wait in
    `gone` and `fresh` until every file is seen, then pair up as moves."""

    parts: dict[tuple[str, str], list[int]] = field(default_factory=lambda: defaultdict(lambda: [0] * 6))
    gone: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))
    fresh: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, path: str, identifier: str, kind: ChangeKind, value: int) -> None:
        if value:
            self.parts[(path, identifier)][list(ChangeKind).index(kind)] += value

    def compare(self, old_path: str, new_path: str, old: BlobFacts | None, new: BlobFacts | None) -> None:
        """One file's before and after; when the paths differ it is a rename and what stays is moved."""
        identifiers = set(old.counts if old else ()) | set(new.counts if new else ())
        for identifier in sorted(identifiers):
            for place in _places(identifier, old, new):
                before, after = _count(old, identifier, place), _count(new, identifier, place)
                if old_path != new_path:
                    kept = min(before, after)
                    self.add(old_path, identifier, ChangeKind.MOVED_OUT, kept)
                    self.add(new_path, identifier, ChangeKind.MOVED_IN, kept)
                if before > after:
                    if new is not None and new.has(place):
                        self.add(old_path, identifier, ChangeKind.CONVERTED, before - after)
                    elif place is None:
                        self.add(old_path, identifier, ChangeKind.REMOVED_WITH_CODE, before - after)
                    else:
                        self.gone[(identifier, place)].append((old_path, before - after))
                elif after > before:
                    if old is not None and old.has(place):
                        self.add(new_path, identifier, ChangeKind.ADDED_EXISTING, after - before)
                    elif place is None:
                        self.add(new_path, identifier, ChangeKind.ADDED_NEW, after - before)
                    else:
                        self.fresh[(identifier, place)].append((new_path, after - before))

    def finish(self) -> dict[tuple[str, str], ChangeSplit]:
        """Pair functions gone from one file with the same name new in another (in path order), then the
        rest is removed with its code or added in new code."""
        for (identifier, place), removals in sorted(self.gone.items(), key=lambda item: (item[0][0], item[0][1] or "")):
            additions = sorted(self.fresh.pop((identifier, place), []))
            for path, value in sorted(removals):
                while value and additions:
                    to_path, wanted = additions[0]
                    moved = min(value, wanted)
                    self.add(path, identifier, ChangeKind.MOVED_OUT, moved)
                    self.add(to_path, identifier, ChangeKind.MOVED_IN, moved)
                    value -= moved
                    additions[0] = (to_path, wanted - moved)
                    if additions[0][1] == 0:
                        additions.pop(0)
                self.add(path, identifier, ChangeKind.REMOVED_WITH_CODE, value)
            for to_path, wanted in additions:
                self.add(to_path, identifier, ChangeKind.ADDED_NEW, wanted)
        for (identifier, _), additions in self.fresh.items():
            for to_path, wanted in additions:
                self.add(to_path, identifier, ChangeKind.ADDED_NEW, wanted)
        self.gone.clear()
        self.fresh.clear()
        return {key: ChangeSplit(*values) for key, values in self.parts.items() if any(values)}


def split_changes(
    changes: Iterable[FileChange], facts: Mapping[str, BlobFacts], renames: Mapping[str, str]
) -> dict[tuple[str, str], ChangeSplit]:
    """One commit's (or one step's) file changes split by kind. `renames`: new path -> old path, as git's
    rename detection paired a deleted file with an added one of the same change list."""
    by_path = {change.path: change for change in changes}
    splitter = _Splitter()
    paired: set[str] = set()
    for new_path, old_path in sorted(renames.items()):
        gone, added = by_path.get(old_path), by_path.get(new_path)
        if gone is None or added is None or gone.new is not None or added.old is not None:
            continue  # not a deletion and an addition of this change list
        if gone.old is None or added.new is None or old_path in paired or new_path in paired:
            continue
        splitter.compare(old_path, new_path, facts[gone.old], facts[added.new])
        paired.update((old_path, new_path))
    for change in sorted(by_path.values(), key=lambda c: c.path):
        if change.path not in paired:
            old = facts[change.old] if change.old is not None else None
            new = facts[change.new] if change.new is not None else None
            splitter.compare(change.path, change.path, old, new)
    return splitter.finish()


def split_resolutions(
    resolutions: Iterable[Resolution], facts: Mapping[str, BlobFacts]
) -> dict[tuple[str, str], ChangeSplit]:
    """A merge's own change (result - first parent - Σ (side - merge base)) per function: fewer where the
    result keeps the function is converted, more where the first parent had it is added to existing code."""
    splitter = _Splitter()

    def side(oid: str | None) -> BlobFacts | None:
        return facts[oid] if oid is not None else None

    for r in sorted(resolutions, key=lambda r: r.path):
        result, first = side(r.result), side(r.first)
        terms: list[tuple[BlobFacts | None, int]] = [(result, 1), (first, -1)]
        for other, base in r.sides:
            terms += [(side(other), -1), (side(base), 1)]
        identifiers = sorted({name for blob, _ in terms if blob is not None for name in blob.counts})
        for identifier in identifiers:
            for place in _places(identifier, *(blob for blob, _ in terms)):
                net = sum(sign * _count(blob, identifier, place) for blob, sign in terms)
                if net < 0:
                    kept = result is not None and result.has(place)
                    kind = ChangeKind.CONVERTED if kept else ChangeKind.REMOVED_WITH_CODE
                    splitter.add(r.path, identifier, kind, -net)
                elif net > 0:
                    existed = first is not None and first.has(place)
                    kind = ChangeKind.ADDED_EXISTING if existed else ChangeKind.ADDED_NEW
                    splitter.add(r.path, identifier, kind, net)
    return splitter.finish()


OWN, STEP = "own", "step"


def rename_candidates(changes: Iterable[FileChange], relevant: set[str]) -> list[str]:
    """Paths worth asking git about: when a step deletes or adds a file whose counts changed (`relevant`), every
    file it adds or deletes, since the other end of a rename may hold no tracked name (fs/cifs/misc.c, which
    had no GFP_NOFS, became fs/smb/client/misc.c, which gained two)."""
    deleted = [c.path for c in changes if c.new is None and c.old is not None]
    added = [c.path for c in changes if c.old is None and c.new is not None]
    if not deleted or not added or not relevant.intersection(deleted + added):
        return []
    return sorted(deleted + added)


@dataclass(frozen=True, slots=True)
class StepDiff:
    """A change list to split, named the way git diff-tree names its two sides."""

    key: tuple[str, str]  # (commit, view), as interval_deltas keys it
    old: str  # a commit id: the first parent, or the previous release; "" for a root commit
    new: str
    changes: tuple[FileChange, ...]


def step_diffs(interval: Interval, base_key: str | None) -> list[StepDiff]:
    """Every change list of the interval that is a plain diff (not a merge's resolution)."""
    diffs = []
    if interval.base_changes and base_key is not None and interval.older is not None:
        diffs.append(StepDiff((base_key, STEP), interval.older, base_key, tuple(interval.base_changes)))
    for commit in interval.commits:
        parent = commit.first_parent or ""
        if commit.parents == 1:
            diffs.append(StepDiff((commit.oid, OWN), parent, commit.oid, tuple(commit.own)))
        elif commit.parents == 0:
            diffs.append(StepDiff((commit.oid, OWN), "", commit.oid, tuple(commit.own)))
        if commit.step is not None and commit.parents > 1:
            diffs.append(StepDiff((commit.oid, STEP), parent, commit.oid, tuple(commit.step_changes)))
    return diffs


def interval_splits(
    interval: Interval,
    diffs: Iterable[StepDiff],
    paths: Mapping[tuple[str, str], Container[str]],
    facts: Mapping[str, BlobFacts],
    renames: Mapping[tuple[str, str], Mapping[str, str]],
) -> dict[tuple[str, str], dict[tuple[str, str], ChangeSplit]]:
    """(commit, view) -> its split, for the keys that changed a count (interval_deltas' keys, with the paths
    whose counts they changed): `diffs` are those keys' plain diffs (step_diffs) with the changes read, merges'
    resolutions of those paths are split here, a non-merge's step is its own."""
    result: dict[tuple[str, str], dict[tuple[str, str], ChangeSplit]] = {}
    for diff in diffs:
        result[diff.key] = split_changes(diff.changes, facts, renames.get(diff.key, {}))
    for commit in interval.commits:
        if commit.parents > 1 and (commit.oid, OWN) in paths:
            changed = paths[(commit.oid, OWN)]
            result[(commit.oid, OWN)] = split_resolutions([r for r in commit.resolutions if r.path in changed], facts)
        elif commit.parents <= 1 and commit.step is not None and (commit.oid, OWN) in result:
            result[(commit.oid, STEP)] = result[(commit.oid, OWN)]
    return {key: split for key, split in result.items() if split}
