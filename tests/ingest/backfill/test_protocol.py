"""The backfill protocol: a class that fills something in runs a batch a transaction, a killed run keeps the
batches it finished, and a batch another worker holds is left to it."""

from typing import ClassVar

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.models import Subsystem
from ingest import store
from ingest.backfill import REGISTERED
from ingest.backfill.protocol import Backfill, Backfilled, Pending, Sources, fill_in

NAMES = ["A", "B", "C", "D", "E"]


class Names(Backfill[str, str]):
    """A toy backfill: subsystems named A … E, stored upper case, read lower case."""

    name = "names"
    unit = "name(s)"
    batch: ClassVar[int] = 2

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.read_batches: list[list[str]] = []

    def waiting(self, session: Session) -> bool:
        return bool(self.pending(session, None).todo)

    def pending(self, session: Session, repo: object) -> Pending[str]:
        stored = set(session.scalars(select(Subsystem.name)))
        return Pending([n for n in NAMES if n not in stored], [])

    def claim(self, batch: list[str]) -> str:
        return f"names:{batch[0]}"

    def read(self, sources: Sources, batch: list[str]) -> str:
        self.read_batches.append(batch)
        return "".join(batch)

    def write(self, session: Session, batch: list[str], found: str) -> int:
        for name in found:
            if name == self.fail_on:
                raise KeyboardInterrupt
            session.add(Subsystem(name=name))
        return len(batch)

    def summary(self, backfilled: Backfilled) -> str:
        return f"; {backfilled.done} name(s)"


class Held(store.Claims):
    """Claims that another worker holds `held` of."""

    def __init__(self, engine: Engine, held: set[str]) -> None:
        super().__init__(engine)
        self.held = held

    def take(self, tag: str) -> bool:
        return tag not in self.held and super().take(tag)


def stored(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(Subsystem.name)))


def fill(engine: Engine, backfill: Names, held: frozenset[str] = frozenset()) -> int:
    with Session(engine) as session:
        todo = backfill.pending(session, None).todo
    sessions = sessionmaker(bind=engine)
    return fill_in(backfill, todo, sessions, Sources(None, None), Held(engine, set(held)))  # type: ignore[arg-type]  # a toy reads no repository


def test_a_batch_a_transaction_and_a_killed_run_resumes(engine: Engine) -> None:
    with pytest.raises(KeyboardInterrupt):
        fill(engine, Names(fail_on="D"))  # in the second batch
    assert stored(engine) == ["A", "B"]  # the first batch committed, the second rolled back
    again = Names()
    assert fill(engine, again) == 3 and again.read_batches == [["C", "D"], ["E"]]
    assert stored(engine) == NAMES
    with Session(engine) as session:
        assert not again.waiting(session)


def test_a_batch_another_worker_holds_is_left_to_it(engine: Engine) -> None:
    backfill = Names()
    assert fill(engine, backfill, held=frozenset({"names:C"})) == 3
    assert backfill.read_batches == [["A", "B"], ["E"]] and stored(engine) == ["A", "B", "E"]


def test_every_registered_backfill_has_a_name_of_its_own() -> None:
    assert len({backfill.name for backfill in REGISTERED}) == len(REGISTERED)
