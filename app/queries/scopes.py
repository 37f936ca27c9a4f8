"""What `nofs scopes` found at a release, read back: whether the release was read, its findings
by kind, the GFP_NOFS/GFP_NOIO uses redundant inside an open scope and their share of the uses, and each finding
with its evidence. The release, subsystem, directory and file pages, /api/v1/scopes, the slides and
`nofs report --by scope` all ask these functions. No writes."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.cache import cached
from app.metrics import METRICS
from app.models import Path, PathCount, ReleaseFile, ScopeAnalysis, ScopeFinding, Subsystem
from app.queries.changes import FILESYSTEMS
from app.queries.counts import path_counts_series, place_counts, subsystem_counts, subsystem_counts_series
from app.queries.places import EVERYWHERE, Where, restrict
from app.queries.releases import ReleaseRef, positions
from app.registry import ZERO_COUNTS
from app.scope_rules import COVERED_BY, FINDING_LABELS, RULE_VERSION, Finding, How

NOFS: Final = "GFP_NOFS"
LEGACY: Final = tuple(COVERED_BY)  # the identifiers a use of which can be redundant: GFP_NOFS, GFP_NOIO
SHARE_RULE: Final = (
    "Redundant share: the code uses of GFP_NOFS found redundant in scope, over the code uses of GFP_NOFS in the "
    "same place at the same release (the count every page shows for it: code occurrences, not comments, strings "
    "or definitions)."
)
NOT_READ: Final = "not read yet (run `nofs scopes`)"


@dataclass(frozen=True)
class Step:
    """One link of a finding's evidence, innermost first: where, and why it holds there."""

    function: str
    path: str
    line: int
    text: str
    why: str


@dataclass(frozen=True)
class FindingRow:
    kind: str  # app.scope_rules.Finding
    identifier: str  # GFP_NOFS/GFP_NOIO for a redundant use, else the scope API named
    path: str
    subsystem: str | None
    line: int
    function: str | None
    how: str  # app.scope_rules.How: 'here' or 'callers'
    text: str
    evidence: tuple[Step, ...]

    @property
    def label(self) -> str:
        return FINDING_LABELS.get(self.kind, self.kind)  # type: ignore[call-overload]  # a StrEnum key is its str


@dataclass(frozen=True)
class Analysis:
    """The scope_analyses row: how the release was read."""

    rule: int
    files_read: int
    functions_read: int
    uses: int  # code uses of GFP_NOFS and GFP_NOIO judged in the whole tree
    analysed_at: datetime

    @property
    def outdated(self) -> bool:
        """Read by an older rule than this code states: `nofs scopes` reads it again."""
        return self.rule < RULE_VERSION


@dataclass(frozen=True)
class Redundancy:
    """Redundant uses in one place (a subsystem, a filesystem …) against that place's GFP_NOFS code uses."""

    name: str
    nofs: int  # redundant GFP_NOFS uses
    noio: int  # redundant GFP_NOIO uses
    nofs_uses: int  # GFP_NOFS code uses there: the share's denominator

    @property
    def share(self) -> float | None:
        return self.nofs / self.nofs_uses if self.nofs_uses else None


@dataclass(frozen=True)
class ScopeSummary:
    """The scope reading of one place at a release. `analysis` is None when the release was not read."""

    release: ReleaseRef
    where: Where
    analysis: Analysis | None
    kinds: tuple[tuple[str, int], ...]  # every Finding, in its order, zeros included
    how: tuple[tuple[str, int], ...]  # redundant uses by How
    redundant: Redundancy  # the place as a whole
    subsystems: tuple[Redundancy, ...]  # the whole tree's view only: subsystems with a redundant use, most first

    @property
    def read(self) -> bool:
        return self.analysis is not None

    @property
    def findings(self) -> int:
        return sum(n for _, n in self.kinds)

    def of_kind(self, kind: Finding) -> int:
        return dict(self.kinds)[kind.value]

    @property
    def place(self) -> str:
        return self.where.words


@cached
def analysis(session: Session, release: ReleaseRef) -> Analysis | None:
    a = ScopeAnalysis
    query = select(a.rule, a.files_read, a.functions_read, a.uses, a.analysed_at).where(a.release_id == release.id)
    row = session.connection().execute(query).one_or_none()
    return Analysis(*row) if row else None


# Redundant uses first: what a reader of the list came for; the openers and closers are the evidence's cast.
KIND_ORDER = case({kind.value: rank for rank, kind in enumerate(Finding)}, value=ScopeFinding.kind, else_=len(Finding))


@cached
def analysed(session: Session) -> frozenset[int]:
    """The ids of the releases `nofs scopes` has read."""
    return frozenset(session.execute(select(ScopeAnalysis.release_id)).scalars())


@cached
def findings(
    session: Session,
    release: ReleaseRef,
    where: Where = EVERYWHERE,
    kind: Finding | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[FindingRow, ...]:
    """The findings at a release in a place, of one kind; redundant uses first, then the scope API's findings
    (Finding's order), each by path and line; `limit` of them from `offset` (a kernel release can hold ten
    thousand, each with its chain: pages and the API read one page, and count with `tallies`).
    Empty when the release was not read: ask `analysis` which it is."""
    f = ScopeFinding
    query = restrict(
        select(Path.path, f.kind, f.identifier, Subsystem.name, f.line, f.function, f.how, f.text, f.evidence)
        .join(Path, Path.id == f.path_id)
        .outerjoin(Subsystem, Subsystem.id == f.subsystem_id)
        .where(f.release_id == release.id),
        where,
    )
    if kind is not None:
        query = query.where(f.kind == kind.value)
    query = query.order_by(KIND_ORDER, Path.path, f.line, f.kind, f.identifier, f.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = session.connection().execute(query).all()
    return tuple(
        FindingRow(kind, identifier, where, owner, line, function, how, text, _steps(evidence))
        for where, kind, identifier, owner, line, function, how, text, evidence in rows
    )


@dataclass(frozen=True)
class Tally:
    """How many findings of one kind, `how`, identifier and subsystem a place holds."""

    kind: str
    how: str
    identifier: str
    subsystem: str | None
    n: int


@cached
def tallies(session: Session, release: ReleaseRef, where: Where = EVERYWHERE) -> tuple[Tally, ...]:
    """The findings of a place at a release counted in SQL (a handful of rows however many findings there are):
    what summaries and series read instead of the findings themselves."""
    f = ScopeFinding
    counted = select(f.kind, f.how, f.identifier, f.subsystem_id, func.count().label("n")).where(
        f.release_id == release.id
    )
    # the joins only where a filter needs them: the whole tree's count reads one index
    counted = restrict(counted, where, f.path_id, f.subsystem_id)
    grouped = counted.group_by(f.kind, f.how, f.identifier, f.subsystem_id).subquery()
    query = select(grouped.c.kind, grouped.c.how, grouped.c.identifier, Subsystem.name, grouped.c.n).outerjoin(
        Subsystem, Subsystem.id == grouped.c.subsystem_id
    )
    return tuple(Tally(*row) for row in session.connection().execute(query))


def _steps(evidence: Any) -> tuple[Step, ...]:
    """The stored JSON chain as steps; a key the ingest left out reads as empty rather than failing a page."""
    return tuple(
        Step(
            str(s.get("function") or ""),
            str(s.get("path") or ""),
            int(s.get("line") or 0),
            str(s.get("text") or ""),
            str(s.get("why") or ""),
        )
        for s in evidence or ()
        if isinstance(s, dict)
    )


def nofs_uses(session: Session, release: ReleaseRef, where: Where) -> int:
    """GFP_NOFS code uses in the place at the release, from the stored counts the pages show: the share's
    denominator."""
    metric = METRICS[NOFS]
    if where.subsystem is None:
        return place_counts(session, release, where.path or "", metric).code
    if where.path is None:
        return subsystem_counts(session, release, metric).get(where.subsystem, ZERO_COUNTS).code
    return _subsystem_below(session, release, where)


@cached
def _subsystem_below(session: Session, release: ReleaseRef, where: Where) -> int:
    """GFP_NOFS code uses in a subsystem's files below a path: its files' stored counts added up."""
    rf = ReleaseFile
    query = restrict(
        select(func.coalesce(func.sum(PathCount.code), 0))
        .select_from(rf)
        .join(PathCount, (PathCount.path_id == rf.path_id) & (PathCount.release_id == rf.release_id))
        .where(rf.release_id == release.id, PathCount.identifier == NOFS),
        where,
        rf.path_id,
        rf.subsystem_id,
    )
    return int(session.connection().execute(query).scalar_one())


def _redundancy(name: str, counted: Iterable[Tally], uses: int) -> Redundancy:
    found: Counter[str] = Counter()
    for t in counted:
        if t.kind == Finding.REDUNDANT:
            found[t.identifier] += t.n
    return Redundancy(name, found[NOFS], found["GFP_NOIO"], uses)


@cached
def summary(session: Session, release: ReleaseRef, where: Where = EVERYWHERE) -> ScopeSummary:
    """The scope reading of a place at a release (see ScopeSummary); for the whole tree, also by subsystem."""
    counted = tallies(session, release, where)
    kinds: Counter[str] = Counter()
    how: Counter[str] = Counter()
    for t in counted:
        kinds[t.kind] += t.n
        if t.kind == Finding.REDUNDANT:
            how[t.how] += t.n
    whole = _redundancy(where.words, counted, nofs_uses(session, release, where))
    by_subsystem: tuple[Redundancy, ...] = ()
    if where.whole_tree:
        uses = subsystem_counts(session, release, METRICS[NOFS])
        owners = sorted({t.subsystem for t in counted if t.kind == Finding.REDUNDANT and t.subsystem is not None})
        by_subsystem = tuple(
            sorted(
                (
                    _redundancy(name, (t for t in counted if t.subsystem == name), uses.get(name, ZERO_COUNTS).code)
                    for name in owners
                ),
                key=lambda s: (-(s.nofs + s.noio), s.name),
            )
        )
    return ScopeSummary(
        release,
        where,
        analysis(session, release),
        tuple((k.value, kinds[k.value]) for k in Finding),
        tuple((h.value, how[h.value]) for h in How),
        whole,
        by_subsystem,
    )


@dataclass(frozen=True)
class SeriesPoint:
    release: ReleaseRef
    redundant: Redundancy


def series(session: Session, axis: tuple[ReleaseRef, ...], where: Where = EVERYWHERE) -> tuple[SeriesPoint, ...]:
    """Redundant uses in a place at each release of `axis` that `nofs scopes` has read, in the axis's order."""
    read = analysed(session)
    return tuple(
        SeriesPoint(
            release, _redundancy(release.tag, tallies(session, release, where), _series_uses(session, release, where))
        )
        for release in axis
        if release.id in read
    )


def _series_uses(session: Session, release: ReleaseRef, where: Where) -> int:
    """nofs_uses, read from the place's whole series (one query for every release) where there is one."""
    if where.path is not None and where.subsystem is not None:
        return _subsystem_below(session, release, where)
    position = positions(session)[release.id]
    if where.subsystem is not None:
        return subsystem_counts_series(session, where.subsystem, METRICS[NOFS])[position].code
    return path_counts_series(session, where.path or "", METRICS[NOFS])[position].code


def by_filesystem(session: Session, release: ReleaseRef, identifiers: tuple[str, ...]) -> dict[str, int] | None:
    """Redundant uses of `identifiers` (of GFP_NOFS, GFP_NOIO) below fs/ at a release, per filesystem (fs/btrfs),
    with the files right in fs/ under 'fs' itself; None when the release was not read or no identifier asked for
    can be redundant."""
    if analysis(session, release) is None or not set(identifiers) & set(LEGACY):
        return None
    counts: Counter[str] = Counter()
    for row in findings(session, release, Where(FILESYSTEMS), Finding.REDUNDANT):
        if row.identifier in identifiers:
            parts = row.path.split("/")
            counts["/".join(parts[:2]) if len(parts) > 2 else FILESYSTEMS] += 1
    return dict(counts)
