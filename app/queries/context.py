"""What the code occurrences of a metric do where they stand, in a place at a release: by role, callee and
flag (the rules are app/context_rules.py's)."""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cache import cached
from app.metrics import Metric
from app.models import Occurrence, ReleaseFile
from app.queries import sql
from app.queries.places import EVERYWHERE, Where, restrict
from app.queries.releases import ReleaseRef
from app.registry import Kind


@dataclass(frozen=True)
class CalleeCount:
    """Code occurrences with one role and callee (None for a role without a call: assigned, a test …)."""

    role: str
    callee: str | None
    uses: int
    flags: tuple[tuple[str, int], ...]  # the other flags combined with them: (flag, occurrences), most first
    negated: int  # under a ~

    def with_flag(self, flag: str) -> int:
        return dict(self.flags).get(flag, 0)


@dataclass(frozen=True)
class ContextBreakdown:
    """The code occurrences of a metric in one place at a release, by what they do there.

    The place is the whole tree, a directory with all below it, a file, or a MAINTAINERS subsystem; the
    filters keep the occurrences that are an argument of one callee, or combined with one flag."""

    release: ReleaseRef
    metric: Metric
    where: Where
    callee: str | None
    flag: str | None
    uses: int  # code occurrences kept by the filters
    unclassified: int  # stored before the context existed and not filled in yet (see `nofs ingest`)
    roles: tuple[tuple[str, int], ...]  # (role, occurrences), most first
    callees: tuple[CalleeCount, ...]  # most first
    flags: tuple[tuple[str, int], ...]  # (flag, occurrences combined with it), most first
    negated: int

    def with_flag(self, flag: str) -> int:
        return dict(self.flags).get(flag, 0)

    @property
    def kept(self) -> str:
        return kept_words(self.callee, self.flag)

    @property
    def place(self) -> str:
        return self.where.words


def kept_words(callee: str | None, flag: str | None) -> str:
    """Which occurrences a callee and a flag filter keep, in words; '' without a filter."""
    parts = [f"an argument of {callee}"] if callee else []
    parts += [f"combined with {flag}"] if flag else []
    return f"only those {' and '.join(parts)}" if parts else ""


@cached
def context_breakdown(
    session: Session,
    release: ReleaseRef,
    metric: Metric,
    where: Where = EVERYWHERE,
    callee: str | None = None,
    flag: str | None = None,
) -> ContextBreakdown:
    """Code occurrences of the metric at a release in a place (app/queries/places.py's `Where`), grouped by
    (role, callee) and by flag. A file held by a release at two paths counts twice, as every count does."""
    o, rf = Occurrence, ReleaseFile
    query = (
        select(o.role, o.callee, o.flags, o.negated, func.count())
        .join(rf, rf.blob_id == o.blob_id)
        .where(rf.release_id == release.id, o.kind == Kind.CODE.value, o.identifier.in_(metric.identifiers))
        .group_by(o.role, o.callee, o.flags, o.negated)
    )
    query = restrict(query, where, rf.path_id, rf.subsystem_id)
    unclassified = 0
    roles: Counter[str] = Counter()
    groups: dict[tuple[str, str | None], tuple[Counter[str], list[int]]] = {}
    every_flag: Counter[str] = Counter()
    for role, called, flags, negated, amount in sql.core(session, query).all():
        names = flags.split() if flags else []
        if role is None:
            unclassified += amount
            continue
        if (callee is not None and called != callee) or (flag is not None and flag not in names):
            continue
        roles[role] += amount
        flag_counts, totals = groups.setdefault((role, called), (Counter(), [0, 0]))
        totals[0] += amount
        totals[1] += amount if negated else 0
        for name in names:
            flag_counts[name] += amount
            every_flag[name] += amount
    callees = [
        CalleeCount(role, called, uses, _most_first(flag_counts), negated)
        for (role, called), (flag_counts, (uses, negated)) in groups.items()
    ]
    callees.sort(key=lambda c: (-c.uses, c.callee is None, c.callee or "", c.role))
    return ContextBreakdown(
        release,
        metric,
        where,
        callee,
        flag,
        sum(roles.values()),
        unclassified,
        _most_first(roles),
        tuple(callees),
        _most_first(every_flag),
        sum(c.negated for c in callees),
    )


def _most_first(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda item: (-item[1], item[0])))
