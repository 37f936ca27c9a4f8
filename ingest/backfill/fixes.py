"""Read the Fixes: trailers of intervals attributed before they were stored (migration 0006).

Only the walk is done again (no diff, no blob, no count: the attribution stays as it is), and each
commit's message read exactly as attribution reads it, so the rows are those a fresh ingest stores. One
transaction an interval, which holds the interval's claim as attribution does.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Attribution, Release
from ingest.backfill.protocol import Backfill, Backfilled, Pending, Sources

if TYPE_CHECKING:  # a no-op ingest imports no git machinery: pygit2 comes with the repository, if it is opened
    import pygit2

    from ingest.history import CommitMeta, Fixes

UNREAD = Attribution.fixes_read.is_(False)


@dataclass(frozen=True)
class Unread:
    release_id: int
    tag: str
    commit_id: str
    from_commit: str | None  # None: the first release, which has no interval


class FixesBackfill(Backfill[Unread, tuple["Fixes", dict[str, "CommitMeta"]]]):
    name = "Fixes: trailers"
    unit = "interval(s)"
    batch: ClassVar[int] = 1  # an interval: what a claim holds
    attributed_only = True  # trailers are read with the attribution: --no-commits reads neither

    def waiting(self, session: Session) -> bool:
        return session.execute(select(Attribution.release_id).where(UNREAD).limit(1)).first() is not None

    def pending(self, session: Session, repo: "pygit2.Repository") -> Pending[Unread]:
        """The attributed intervals whose Fixes: trailers are not stored, oldest first, split by whether `repo`
        can walk them (a shallow clone may not)."""
        query = (
            select(Release.id, Release.tag, Release.commit_id, Attribution.from_commit)
            .join(Release, Release.id == Attribution.release_id)
            .where(UNREAD)
            .order_by(Release.sort_key)
        )
        found = [Unread(*row) for row in session.execute(query)]
        walkable = [u for u in found if u.commit_id in repo and (u.from_commit is None or u.from_commit in repo)]
        return Pending(walkable, [u.tag for u in found if u not in walkable])

    def claim(self, batch: list[Unread]) -> str:
        (unread,) = batch
        return f"commits:{unread.tag}"  # attributed, or read, by another worker right now

    def read(self, sources: Sources, batch: list[Unread]) -> tuple["Fixes", dict[str, "CommitMeta"]]:
        from ingest.history import describe, interval_fixes

        (unread,) = batch
        fixes = interval_fixes(sources.repo, unread.from_commit, unread.commit_id) if unread.from_commit else {}
        return fixes, {oid: describe(sources.repo, oid) for oid in fixes}

    def write(self, session: Session, batch: list[Unread], found: tuple["Fixes", dict[str, "CommitMeta"]]) -> int:
        from ingest import commit_store

        (unread,) = batch
        now = session.get(Attribution, unread.release_id)
        if now is None or now.fixes_read or now.from_commit != unread.from_commit:
            return 0  # attributed again meanwhile: its trailers came with it
        commit_store.store_fixes(session, unread.release_id, *found)
        return int(unread.from_commit is not None)  # the first release has no interval to read

    def summary(self, backfilled: Backfilled) -> str:
        missing = backfilled.missing
        left = f" ({', '.join(missing)} not walkable here, left for later)" if missing else ""
        return f"; Fixes: trailers read in {backfilled.done} interval(s) attributed before they were stored{left}"
