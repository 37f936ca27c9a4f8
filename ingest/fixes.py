"""Read the Fixes: trailers of intervals attributed before they were stored (migration 0006).

Only the walk is done again (no diff, no blob, no count: the attribution stays as it is), and each
commit's message read exactly as attribution reads it, so the rows are those a fresh ingest stores. One
transaction an interval: a killed run keeps the intervals it finished and the next run reads the rest.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.models import Attribution, Release
from ingest import store

if TYPE_CHECKING:  # a no-op ingest imports no git machinery: pygit2 comes with the repository, if it is opened
    import pygit2

log = logging.getLogger(__name__)

UNREAD = Attribution.fixes_read.is_(False)


@dataclass(frozen=True)
class Unread:
    release_id: int
    tag: str
    commit_id: str
    from_commit: str | None  # None: the first release, which has no interval


def waiting(session: Session) -> bool:
    """Whether an attributed interval's Fixes: trailers are still to read: one small query."""
    return session.execute(select(Attribution.release_id).where(UNREAD).limit(1)).first() is not None


@dataclass(frozen=True)
class Pending:
    intervals: list[Unread]  # oldest first
    missing: list[str]  # releases whose interval this repository cannot walk (a shallow clone): left for later


NONE = Pending([], [])


def pending(session: Session, repo: "pygit2.Repository") -> Pending:
    """The attributed intervals whose Fixes: trailers are not stored, split by whether `repo` can walk them."""
    query = (
        select(Release.id, Release.tag, Release.commit_id, Attribution.from_commit)
        .join(Release, Release.id == Attribution.release_id)
        .where(UNREAD)
        .order_by(Release.sort_key)
    )
    found = [Unread(*row) for row in session.execute(query)]
    walkable = [u for u in found if u.commit_id in repo and (u.from_commit is None or u.from_commit in repo)]
    return Pending(walkable, [u.tag for u in found if u not in walkable])


def read_unread(
    sessions: sessionmaker[Session], repo: "pygit2.Repository", todos: list[Unread], claims: store.Claims
) -> int:
    """Store the Fixes: trailers of each interval in `todos`, one transaction each; how many were walked."""
    from ingest import commit_store
    from ingest.history import describe, interval_fixes

    done = 0
    for todo in todos:
        if not claims.take(f"commits:{todo.tag}"):  # attributed, or read, by another worker right now
            continue
        try:
            fixes = interval_fixes(repo, todo.from_commit, todo.commit_id) if todo.from_commit else {}
            metas = {oid: describe(repo, oid) for oid in fixes}
            with sessions() as session, session.begin():
                store.lock_writes(session)
                now = session.get(Attribution, todo.release_id)
                if now is None or now.fixes_read or now.from_commit != todo.from_commit:
                    continue  # attributed again meanwhile: its trailers came with it
                commit_store.store_fixes(session, todo.release_id, fixes, metas)
        finally:
            claims.give_back(f"commits:{todo.tag}")
        done += todo.from_commit is not None  # the first release has no interval to read
        log.info("%s: Fixes: trailers of %d commit(s) read (attributed before they were stored)", todo.tag, len(fixes))
    return done
