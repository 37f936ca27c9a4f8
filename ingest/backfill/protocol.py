"""The one way a data migration's rows are filled in: a migration adds what older rows lack, and the next
`nofs ingest` fills it in, exactly as a fresh ingest would have stored it.

A backfill is one class (`Backfill`) registered in ingest/backfill/__init__.py. A run asks each one:
- `waiting`: is anything to fill in? One small query, so that a run with nothing to do opens no repository;
- `pending`: what this repository holds (`todo`) and what it does not (`missing`, left for a run on one that
  does, and said in the summary);
- then `fill_in` takes the todo a batch at a time: `read` the batch from the repository or the scanner outside any
  transaction, then `write` it in one transaction of its own. A killed run keeps the batches it committed, and
  the next one finds only the rest pending: what is filled in is never read again.
"""

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ingest import store

if TYPE_CHECKING:  # a no-op ingest imports no git machinery
    import pygit2

    from ingest.scan import BlobScanner

log = logging.getLogger(__name__)

Item = TypeVar("Item")  # one thing to fill in: a blob, an interval
Found = TypeVar("Found")  # what reading a batch gave


@dataclass(frozen=True, slots=True)
class Pending(Generic[Item]):
    todo: list[Item]  # what this repository holds: filled in now
    missing: list[str]  # what it does not hold (blob ids, release tags): left for a run on one that does


@dataclass(frozen=True, slots=True)
class Sources:
    """What a backfill reads from: the repository, and the scanner's workers."""

    repo: "pygit2.Repository"
    scanner: "BlobScanner"


@dataclass(slots=True)
class Backfilled:
    """What a backfill did in one run, for the summary line."""

    done: int = 0
    missing: list[str] = field(default_factory=list)


class Backfill(ABC, Generic[Item, Found]):
    name: ClassVar[str]  # what is filled in, in a log line
    unit: ClassVar[str]  # what `done` counts, in a log line: "blob(s)"
    batch: ClassVar[int]  # items a transaction
    attributed_only: ClassVar[bool] = False  # only when the run attributes commits (not with --no-commits)

    @abstractmethod
    def waiting(self, session: Session) -> bool:
        """Whether anything is left to fill in, without opening the repository."""

    @abstractmethod
    def pending(self, session: Session, repo: "pygit2.Repository") -> Pending[Item]:
        """What is left to fill in, split by whether `repo` holds what filling it in reads."""

    def claim(self, batch: list[Item]) -> str | None:
        """The claim (store.Claims) a batch holds while it is read and written, if other workers on the same
        database must not do it at the same time."""
        return None

    @abstractmethod
    def read(self, sources: Sources, batch: list[Item]) -> Found:
        """Read what the batch needs, outside any transaction."""

    @abstractmethod
    def write(self, session: Session, batch: list[Item], found: Found) -> int:
        """Store the batch in the caller's transaction; how many of its items count as done."""

    @abstractmethod
    def summary(self, backfilled: Backfilled) -> str:
        """The summary line's part for a run that filled in or left something: "; … filled in for …"."""


def fill_in(
    backfill: Backfill[Item, Found],
    todo: list[Item],
    sessions: sessionmaker[Session],
    sources: Sources,
    claims: store.Claims,
) -> int:
    """Fill in `todo`, a batch a transaction; how many items were done."""
    done = 0
    for start in range(0, len(todo), backfill.batch):
        batch = todo[start : start + backfill.batch]
        claim = backfill.claim(batch)
        if claim is not None and not claims.take(claim):  # another worker has it right now
            continue
        try:
            found = backfill.read(sources, batch)
            with sessions() as session, session.begin():
                store.lock_writes(session)
                done += backfill.write(session, batch, found)
                store.record_change(session, f"{backfill.name}: {len(batch)} {backfill.unit} filled in")
        finally:
            if claim is not None:
                claims.give_back(claim)
        log.info("%s filled in: %d of %d %s", backfill.name, start + len(batch), len(todo), backfill.unit)
    return done
