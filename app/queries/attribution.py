"""Read-side queries on commit attribution: which commits and merges moved a metric. No writes."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, Subquery, case, func, select
from sqlalchemy.orm import Session, aliased

from app.cache import cached
from app.change_rules import ChangeKind, ChangeSplit
from app.metrics import Count, Metric
from app.models import Attribution, Commit, CommitChange, CommitFix, Path, Release, ReleaseCommit
from app.queries import sql
from app.queries.occurrences import OccurrenceChange, OccurrenceRow, in_file, occurrence_changes
from app.queries.places import EVERYWHERE, Where, restrict
from app.queries.releases import ReleaseRef, previous_release, releases_between
from app.registry import IDENTIFIERS, Group, Kind


class CommitView(StrEnum):
    COMMITS = "commits"  # what each commit did itself (a merge: its conflict resolution)
    MERGES = "merges"  # first parent -> commit along the first-parent line: a merge's whole pull


_STORED_VIEW = {CommitView.COMMITS: "own", CommitView.MERGES: "step"}


@dataclass(frozen=True)
class IntervalInfo:
    """How a release's interval was attributed; None fields when it was not (yet)."""

    release: str
    from_tag: str | None
    commits_walked: int
    base_commit: str | None
    from_commit: str | None

    @property
    def linear(self) -> bool:
        """True when the first-parent line reaches the previous release itself."""
        return self.base_commit == self.from_commit


@dataclass(frozen=True)
class AuthorRow:
    name: str
    email: str
    commits: int
    added: int
    removed: int
    converted: int  # uses their commits converted (app/change_rules.py)

    @property
    def net(self) -> int:
        return self.added - self.removed


@cached
def interval(session: Session, release: ReleaseRef) -> IntervalInfo | None:
    return _intervals(session).get(release.id)


@cached
def _intervals(session: Session) -> dict[int, IntervalInfo]:
    """Every attributed interval by release id: one query, not one a release of a long comparison."""
    a = Attribution
    rows = session.execute(
        select(Release.id, Release.tag, a.from_tag, a.commits_walked, a.base_commit, a.from_commit).join(
            Release, Release.id == a.release_id
        )
    )
    return {
        release_id: IntervalInfo(tag, from_tag, walked, base, start)
        for release_id, tag, from_tag, walked, base, start in rows
    }


@dataclass(frozen=True)
class CommitEffect:
    """A commit's effect, without what only a displayed row needs (subject, date, links): enough to
    rank commits and add up authors over thousands of them quickly."""

    release: str
    commit_id: int
    commit: str
    step: int | None
    merge: bool
    author_name: str
    author_email: str
    files: int
    added: int
    removed: int
    split: ChangeSplit | None  # its change in uses by kind of change; None: attributed before the split existed

    @property
    def net(self) -> int:
        return self.added - self.removed

    @property
    def converted(self) -> int:
        return self.split.converted if self.split is not None else 0


@dataclass(frozen=True)
class FixLink:
    """The other end of a Fixes: trailer. `commit`: the full id, or the id as written when it names no commit
    in the repository; `subject` when that commit is stored; `release`: the first release (by version) whose
    interval walked the fixing commit, on a link to a fix; `found`: false when the id names no commit here."""

    commit: str
    subject: str | None = None
    release: str | None = None
    found: bool = True


@dataclass(frozen=True)
class CommitRow(CommitEffect):
    """A commit's effect with what a displayed row shows. `net` = added - removed; added and removed add up
    each file's change (a file converted in one place and grown in another counts in both). `fixed_by`: the
    commits whose Fixes: trailer names it; `fixes`: the commits its own Fixes: trailers name."""

    subject: str
    authored_at: datetime
    links: tuple[str, ...]
    fixed_by: tuple[FixLink, ...] = ()
    fixes: tuple[FixLink, ...] = ()


@cached
def commit_effects(
    session: Session,
    metric: Metric,
    count: Count,
    view: CommitView,
    within: tuple[ReleaseRef, ...],
    where: Where = EVERYWHERE,
) -> tuple[CommitEffect, ...]:
    """Commits that moved the metric: in the given releases' intervals, in a place; newest release first, then
    newest commit."""
    query = _with_commits(_per_commit(metric, count, view, within, where))
    query = query.order_by(Release.sort_key.desc(), Commit.authored_at.desc(), Commit.oid)
    return tuple(_effect(row) for row in session.connection().execute(query).all())


def _effect(row: Sequence[Any]) -> CommitEffect:
    tag, commit_id, oid, step, parents, name, email, n, add, rem, *split = row
    return CommitEffect(tag, commit_id, oid, step, parents > 1, name, email, n, int(add), int(rem), _split(split))


def _per_commit(
    metric: Metric,
    count: Count,
    view: CommitView,
    within: tuple[ReleaseRef, ...],
    where: Where = EVERYWHERE,
) -> Subquery:
    """Each commit's sums (release_id, commit_id, files, added, removed and the change split's kinds) of the
    commits that moved the metric, before the commits are joined: their rows are wide, and a join before the
    grouping makes the grouping sort them."""
    c = CommitChange
    kinds = [getattr(c, kind.value) for kind in ChangeKind]
    # A file's value is its rows added up over the metric's identifiers; with one identifier a row is a file.
    many = len(metric.identifiers) > 1
    per_file = (
        select(
            c.release_id,
            c.commit_id,
            c.path_id,
            (func.sum(sql.value_column(c, count)) if many else sql.value_column(c, count)).label("value"),
            *((func.sum(column) if many else column).label(column.key) for column in kinds),
        )
        .where(c.view == _STORED_VIEW[view], c.identifier.in_(metric.identifiers))
        .where(c.release_id.in_([r.id for r in within]))
    )
    if many:
        per_file = per_file.group_by(c.release_id, c.commit_id, c.path_id)
    files = restrict(per_file, where, c.path_id, c.subsystem_id).subquery()
    value = files.c.value
    moved = func.count(case((value != 0, 1)))
    return (
        select(
            files.c.release_id,
            files.c.commit_id,
            moved.label("files"),
            func.sum(case((value > 0, value), else_=0)).label("added"),
            func.sum(case((value < 0, -value), else_=0)).label("removed"),
            *(func.sum(files.c[column.key]).label(column.key) for column in kinds),
        )
        .group_by(files.c.release_id, files.c.commit_id)
        .having(moved > 0)
        .subquery()
    )


def _with_commits(per_commit: Subquery) -> Select:
    """commit_effects' columns, unordered: the per-commit sums with their commit, release and step."""
    e = per_commit.c
    return (
        select(
            Release.tag,
            Commit.id,
            Commit.oid,
            ReleaseCommit.step,
            Commit.parents,
            Commit.author_name,
            Commit.author_email,
            e.files,
            e.added,
            e.removed,
            *(e[kind.value] for kind in ChangeKind),
        )
        .select_from(per_commit)
        .join(Commit, Commit.id == e.commit_id)
        .join(Release, Release.id == e.release_id)
        .join(ReleaseCommit, (ReleaseCommit.release_id == e.release_id) & (ReleaseCommit.commit_id == e.commit_id))
    )


@dataclass(frozen=True)
class StepSummary:
    """The first-parent steps of some intervals that moved the metric: how many, what they add up to (by
    construction, the change between the releases) and the `largest` by their net effect, either way."""

    steps: int
    total: int
    largest: tuple[CommitEffect, ...]


@cached
def step_summary(
    session: Session, metric: Metric, count: Count, within: tuple[ReleaseRef, ...], limit: int
) -> StepSummary:
    """commit_effects' MERGES view counted and added up by the database, which returns only the `limit` largest:
    a comparison over a hundred releases has thousands of steps."""
    per_commit = _per_commit(metric, count, CommitView.MERGES, within)
    size = func.abs(per_commit.c.added - per_commit.c.removed)
    # ranked before the commits are joined, which only the first `limit` need (and those tied with the last of
    # them, which their ids order)
    ranked = select(
        per_commit,
        func.count().over().label("steps"),
        func.sum(per_commit.c.added - per_commit.c.removed).over().label("total"),
        func.rank().over(order_by=size.desc()).label("rank"),
    ).subquery()
    query = _with_commits(ranked).add_columns(ranked.c.steps, ranked.c.total).where(ranked.c.rank <= limit)
    query = query.order_by(func.abs(ranked.c.added - ranked.c.removed).desc(), Commit.oid).limit(limit)
    rows = session.connection().execute(query).all()
    steps, total = (rows[0][-2], int(rows[0][-1])) if rows else (0, 0)
    return StepSummary(steps, total, tuple(_effect(row[:-2]) for row in rows))


def _split(sums: Sequence[int | None]) -> ChangeSplit | None:
    """A sum over rows is NULL only when the rows were stored before the split existed."""
    return None if None in sums else ChangeSplit._make(map(int, sums))  # type: ignore[arg-type]


@cached
def change_split(
    session: Session,
    metric: Metric,
    within: tuple[ReleaseRef, ...],
    where: Where = EVERYWHERE,
) -> ChangeSplit | None:
    """The change in uses over the given releases' intervals split by kind of change, from the first-parent
    steps (so the parts add up to the release-to-release change); None when an interval is not attributed
    or was attributed before the split existed."""
    if not within or not attributed_between(session, within) or not split_between(session, within):
        return None
    c = CommitChange
    query = (
        select(*(func.coalesce(func.sum(getattr(c, kind.value)), 0) for kind in ChangeKind))
        .where(c.view == _STORED_VIEW[CommitView.MERGES], c.identifier.in_(metric.identifiers))
        .where(c.release_id.in_([r.id for r in within]))
    )
    query = restrict(query, where, c.path_id, c.subsystem_id)
    return ChangeSplit(*(int(v) for v in session.connection().execute(query).one()))


def split_between(session: Session, within: Sequence[ReleaseRef]) -> bool:
    """True when every interval in `within` carries the change split (attributed since migration 0005)."""
    done = _split_intervals(session)
    return all(release.id in done for release in within)


@cached
def _split_intervals(session: Session) -> frozenset[int]:
    return frozenset(session.execute(select(Attribution.release_id).where(Attribution.change_kinds)).scalars())


def with_details(session: Session, effects: Sequence[CommitEffect]) -> tuple[CommitRow, ...]:
    """The effects as displayable rows, in their order: one read of the commits they name."""
    details: dict[int, dict[str, Any]] = {}
    ids = sorted({e.commit_id for e in effects})
    for start in range(0, len(ids), DETAILS_AT_ONCE):
        query = select(Commit.id, Commit.subject, Commit.authored_at, Commit.links).where(
            Commit.id.in_(ids[start : start + DETAILS_AT_ONCE])
        )
        for commit_id, subject, at, links in session.connection().execute(query):
            details[commit_id] = {"subject": subject, "authored_at": at, "links": tuple(links or ())}
    fixed_by, fixes = fix_links(session, {e.commit_id: e.commit for e in effects})
    return tuple(
        CommitRow(**vars(e), **details[e.commit_id], fixed_by=fixed_by.get(e.commit, ()), fixes=fixes.get(e.commit, ()))
        for e in effects
    )


def fix_links(
    session: Session, commits: dict[int, str]
) -> tuple[dict[str, tuple[FixLink, ...]], dict[str, tuple[FixLink, ...]]]:
    """Both ends of the Fixes: trailers that touch the given commits (id -> oid): by oid, the commits that
    fix each one (oldest release first), and the commits each one's trailers name."""
    fixed_by: dict[str, dict[str, FixLink]] = {}
    fixes: dict[str, dict[str, FixLink]] = {}
    ids, oids = sorted(commits), sorted(commits.values())
    fixing, named = aliased(Commit), aliased(Commit)
    for start in range(0, len(oids), DETAILS_AT_ONCE):
        by_fixed = (
            select(CommitFix.fixed_oid, fixing.oid, fixing.subject, Release.tag)
            .join(fixing, fixing.id == CommitFix.commit_id)
            .join(Release, Release.id == CommitFix.release_id)
            .where(CommitFix.fixed_oid.in_(oids[start : start + DETAILS_AT_ONCE]))
            .order_by(Release.sort_key, fixing.authored_at, fixing.oid)
        )
        for fixed, oid, subject, tag in session.connection().execute(by_fixed):
            if fixed is not None:  # the IN above names only commits
                fixed_by.setdefault(fixed, {}).setdefault(oid, FixLink(oid, subject, tag))
    for start in range(0, len(ids), DETAILS_AT_ONCE):
        by_fixing = (
            select(fixing.oid, CommitFix.named, CommitFix.fixed_oid, named.subject)
            .join(fixing, fixing.id == CommitFix.commit_id)
            .outerjoin(named, named.oid == CommitFix.fixed_oid)
            .where(CommitFix.commit_id.in_(ids[start : start + DETAILS_AT_ONCE]))
            .order_by(fixing.oid, CommitFix.named)
        )
        for oid, written, fixed, subject in session.connection().execute(by_fixing):
            fixes.setdefault(oid, {}).setdefault(
                fixed or written, FixLink(fixed or written, subject, None, fixed is not None)
            )
    return (
        {oid: tuple(links.values()) for oid, links in fixed_by.items()},
        {oid: tuple(links.values()) for oid, links in fixes.items()},
    )


DETAILS_AT_ONCE = 5_000  # commit ids a query names (SQLite binds up to 32,766 parameters)


@cached
def commit_rows(
    session: Session,
    metric: Metric,
    count: Count,
    view: CommitView,
    within: tuple[ReleaseRef, ...],
    where: Where = EVERYWHERE,
) -> tuple[CommitRow, ...]:
    """commit_effects with every row's details: for lists that show them all."""
    return with_details(session, commit_effects(session, metric, count, view, within, where))


def commits_up_to(
    session: Session,
    metric: Metric,
    count: Count,
    view: CommitView,
    release: ReleaseRef,
    where: Where,
) -> tuple[CommitRow, ...]:
    """The commits of every interval up to `release` that changed a place, newest first."""
    return commit_rows(session, metric, count, view, releases_between(session, None, release), where)


Effect = TypeVar("Effect", bound=CommitEffect)


def top(rows: Sequence[Effect], lowered: bool, limit: int) -> list[Effect]:
    """The rows that converted most (lowered: by the uses they converted, then net; moves and deletions do not
    rank a commit, app/change_rules.py), or raised the metric most, by their net effect. A row without a split
    (attributed before it existed) ranks by its net decrease."""
    if lowered:
        chosen = [r for r in rows if (r.converted > 0 if r.split is not None else r.net < 0)]
        return sorted(chosen, key=lambda r: (-r.converted, r.net, r.commit))[:limit]
    chosen = [r for r in rows if r.net > 0]
    return sorted(chosen, key=lambda r: (-r.net, r.commit))[:limit]


def authors(rows: Sequence[CommitEffect]) -> list[AuthorRow]:
    """Each author's commits added up, named as on their newest commit (rows come newest first); most
    converted first (uses converted, app/change_rules.py), then most lowered, then most added."""
    by_email: dict[str, list[CommitEffect]] = {}
    for row in rows:
        by_email.setdefault(row.author_email.lower(), []).append(row)
    result = [
        AuthorRow(
            name=group[0].author_name,
            email=group[0].author_email,
            commits=len(group),
            added=sum(max(r.net, 0) for r in group),
            removed=sum(max(-r.net, 0) for r in group),
            converted=sum(r.converted for r in group),
        )
        for group in by_email.values()
    ]
    return sorted(result, key=lambda a: (-a.converted, -a.removed, -a.added, a.email))


def attributed_between(session: Session, within: Sequence[ReleaseRef]) -> bool:
    """True when every interval in `within` is attributed from the release just before it."""
    for release in within:
        info = interval(session, release)
        before = previous_release(session, release)
        expected = before.tag if before else None
        if info is None or info.from_tag != expected:
            return False
    return True


def _file_sums(
    session: Session, release: ReleaseRef, commit_id: int, metric: Metric, value: ColumnElement[int], lowered: bool
) -> list[tuple[str, int]]:
    """(file, `value` summed) of a commit's own change of the metric in a release's interval, where the sum is
    below zero (`lowered`) or above it; the largest first."""
    c = CommitChange
    query = (
        select(Path.path, value)
        .join(Path, Path.id == c.path_id)
        .where(c.release_id == release.id, c.commit_id == commit_id, c.view == _STORED_VIEW[CommitView.COMMITS])
        .where(c.identifier.in_(metric.identifiers))
        .group_by(Path.path)
        .having(value < 0 if lowered else value > 0)
        .order_by(value if lowered else value.desc(), Path.path)
    )
    return [(path, int(n or 0)) for path, n in session.connection().execute(query)]


def lowered_paths(session: Session, release: ReleaseRef, commit_id: int, metric: Metric, count: Count) -> list[str]:
    """The files in which a commit's own change lowered the metric, in a release's interval; most lowered first."""
    value = func.sum(sql.value_column(CommitChange, count))
    return [path for path, _ in _file_sums(session, release, commit_id, metric, value, lowered=True)]


def converted_paths(session: Session, release: ReleaseRef, commit_id: int, metric: Metric) -> list[tuple[str, int]]:
    """(file, uses converted) where a commit's own change converted uses of the metric (in functions it kept:
    app/change_rules.py), in a release's interval; most converted first."""
    converted: ColumnElement[int] = func.sum(func.coalesce(CommitChange.converted, 0))
    return _file_sums(session, release, commit_id, metric, converted, lowered=False)


SCOPED_NAMES: frozenset[str] = frozenset(i.name for i in IDENTIFIERS if i.group is Group.SCOPED)


@dataclass(frozen=True)
class CodePair:
    """Code before and after the commit of a release's interval that converted most uses of the metric (or, in an
    interval attributed before the kinds of change, lowered it most), from stored occurrences: the app reads no
    git, so not the commit's own diff. In the file the commit converted most in (lowered most), `before` holds
    the metric's lines the release diff removed there, `after` that file's lines at the release, in the same
    functions, that hold a scoped API name or a line of the metric the diff
    added. A file the commit deleted is never the pair: nothing in it was converted."""

    commit: CommitRow
    older: ReleaseRef
    path: str
    before: tuple[OccurrenceChange, ...]
    after: tuple[OccurrenceRow, ...]
    other_paths: tuple[str, ...]  # the other files the commit converted in (lowered, without kinds of change)
    converted: int | None  # the commit's conversions (None: the interval has no kinds of change)
    files: int  # the files it converted in (lowered in)


def biggest_conversion(session: Session, release: ReleaseRef, metric: Metric, count: Count) -> CodePair | None:
    """The code pair of the release's interval, or None when no commit of it converted a use (lowered it)."""
    older = previous_release(session, release)
    effects = commit_effects(session, metric, count, CommitView.COMMITS, (release,)) if older else ()
    biggest = top(effects, lowered=True, limit=1)
    if older is None or not biggest:
        return None
    chosen = biggest[0]
    if chosen.split is not None:
        paths = [path for path, _ in converted_paths(session, release, chosen.commit_id, metric)]
    else:
        paths = lowered_paths(session, release, chosen.commit_id, metric, count)
    counted = {Kind.CODE.value} if count is Count.USES else {k.value for k in Kind}
    path = paths[0]  # most converted (lowered) first
    changes = [c for c in occurrence_changes(session, older, release, metric) if c.path == path and c.kind in counted]
    before = [c for c in changes if not c.added]
    functions = {c.function for c in before}
    added_lines = {(c.line, c.identifier) for c in changes if c.added}
    after = tuple(
        o
        for o in in_file(session, release, path)
        if o.kind in counted
        and o.function in functions
        and (o.identifier in SCOPED_NAMES or (o.line, o.identifier) in added_lines)
    )
    converted = chosen.converted if chosen.split is not None else None
    return CodePair(
        with_details(session, biggest)[0], older, path, tuple(before), after, tuple(paths[1:]), converted, len(paths)
    )


class Order(StrEnum):
    DATE = "date"  # newest release first, then newest commit
    STEP = "step"  # along the first-parent line (off-line commits last)
    LOWERED = "lowered"  # largest net decrease first
    RAISED = "raised"  # largest net increase first


def ordered(rows: Sequence[CommitRow], order: Order) -> list[CommitRow]:
    if order is Order.DATE:
        return list(rows)  # commit_rows' own order
    if order is Order.STEP:
        newest_first = {tag: i for i, tag in enumerate(dict.fromkeys(r.release for r in rows))}
        return sorted(rows, key=lambda r: (newest_first[r.release], r.step is None, r.step or 0, r.commit))
    sign = 1 if order is Order.LOWERED else -1
    return sorted(rows, key=lambda r: (sign * r.net, r.commit))
