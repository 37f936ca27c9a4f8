"""Conversions that needed a fix: commits that moved a metric the way it should go, named by the Fixes:
trailer of a commit walked in an ingested release interval. The release and subsystem pages and /api/v1/fixes
all ask `needed_fixes`. No writes."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cache import cached
from app.metrics import Count, Metric
from app.models import Attribution, CommitFix, Release
from app.queries.attribution import DETAILS_AT_ONCE, CommitEffect, CommitRow, CommitView, commit_effects, with_details
from app.queries.places import EVERYWHERE, Where
from app.queries.releases import ReleaseRef
from app.registry import BY_NAME, Direction


def goes_up(metric: Metric) -> bool:
    return all(BY_NAME[name].direction is Direction.UP for name in metric.identifiers)


def converts(effect: CommitEffect, up: bool) -> bool:
    """A commit is a conversion by its kinds of change (app/change_rules.py): it converted uses, or for the
    scoped API (`up`: goes_up of the metric) added them to existing code; by its net effect where its interval
    has no split yet."""
    if effect.split is None:
        return effect.net > 0 if up else effect.net < 0
    return effect.split.added_existing > 0 if up else effect.split.converted > 0


@dataclass(frozen=True)
class NeededFixes:
    """Of the `conversions` in a scope, those a Fixes: trailer names (`rows`, each with its fixes)."""

    metric: Metric
    count: Count
    conversions: int
    rows: tuple[CommitRow, ...]
    read_upto: str | None  # the newest release (by version) whose interval's trailers are stored
    unread: int  # attributed intervals whose trailers are not stored yet (attributed before migration 0006)

    @property
    def fixes(self) -> int:
        return sum(len(row.fixed_by) for row in self.rows)

    @property
    def rule(self) -> str:
        label = self.metric.label
        way = (
            f"added {label} to existing code (a scope in a function that stays)"
            if goes_up(self.metric)
            else f"converted uses of {label} (fewer in a function or file that stays, not deleted or moved code)"
        )
        newest = f"after {self.read_upto}, the newest release read" if self.read_upto else "in no release read yet"
        unread = (
            f" The trailers of {self.unread} attributed interval(s) are not read yet: the next nofs ingest reads them."
            if self.unread
            else ""
        )
        return (
            f"A conversion is a commit whose own change (a merge's: its conflict resolution) {way} "
            f"here, as its kinds of change say (by its net {self.count.value} where the "
            "interval was attributed before the kinds existed). It needed a fix when a Fixes: trailer names it: a line "
            "'Fixes: <id>' in the last paragraph of the message of any commit walked in an ingested release "
            "interval, whatever that commit changed, the id (7 hex digits or more) naming it alone in the "
            "repository. Not seen: a fix without that trailer; one whose id names a commit outside the repository "
            "or is ambiguous; the fix of a stable backport (its trailer names the mainline commit, not the "
            f"backport); a fix merged {newest}.{unread}"
        )


@cached
def needed_fixes(
    session: Session,
    metric: Metric,
    count: Count,
    within: tuple[ReleaseRef, ...],
    where: Where = EVERYWHERE,
) -> NeededFixes:
    """The conversions of the given releases' intervals in a place that a Fixes: trailer names, in
    commit_effects' order: newest release first, then newest commit."""
    effects = commit_effects(session, metric, count, CommitView.COMMITS, within, where)
    up = goes_up(metric)
    conversions = [e for e in effects if converts(e, up)]
    oids = sorted({e.commit for e in conversions})
    fixed: set[str] = set()
    for start in range(0, len(oids), DETAILS_AT_ONCE):
        query = select(CommitFix.fixed_oid).where(CommitFix.fixed_oid.in_(oids[start : start + DETAILS_AT_ONCE]))
        fixed.update(oid for oid in session.connection().execute(query.distinct()).scalars() if oid is not None)
    rows = with_details(session, [e for e in conversions if e.commit in fixed])
    read = (
        select(Release.tag)
        .join(Attribution, Attribution.release_id == Release.id)
        .where(Attribution.fixes_read.is_(True), Attribution.from_commit.is_not(None))
        .order_by(Release.sort_key.desc())
        .limit(1)
    )
    unread = select(func.count()).select_from(Attribution).where(Attribution.fixes_read.is_(False))
    connection = session.connection()
    return NeededFixes(
        metric,
        count,
        len(conversions),
        rows,
        connection.execute(read).scalar(),
        connection.execute(unread).scalar_one(),
    )
