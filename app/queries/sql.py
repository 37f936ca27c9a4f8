"""SQL building blocks the query modules share: plain-column execution, and counts by kind as columns."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Select, func
from sqlalchemy.orm import Session

from app.metrics import Count
from app.models import PathCount, SubsystemCount
from app.registry import Counts


def core(session: Session, query: Select[*tuple[Any, ...]]) -> CursorResult[*tuple[Any, ...]]:
    """Rows of a select of plain columns, without the ORM's result processing (a third of the time of a
    100,000-row aggregate); iterate over `.all()` for many rows (one fetch, not one a row)."""
    return session.connection().execute(query)


def count_of(kinds: Sequence[ColumnElement[int]], count: Count) -> ColumnElement[int]:
    """Count.of's rule in SQL: the number a view shows, from the four kind columns (or their sums) in Kind's
    order; uses are the code column, all is their sum."""
    code, comment, string, definition = kinds
    return code if count is Count.USES else code + comment + string + definition


def value_column(model: Any, count: Count) -> ColumnElement[int]:
    """One stored row's number (path, subsystem or commit counts: each has the four kind columns)."""
    return count_of([model.code, model.comment, model.string, model.definition], count)


def kind_sums(model: type[PathCount] | type[SubsystemCount]) -> list[ColumnElement[int]]:
    return [func.sum(model.code), func.sum(model.comment), func.sum(model.string), func.sum(model.definition)]


def kinds(row: Sequence[Any]) -> Counts:
    """Four summed kind columns as Counts (NULL, where no row was summed, is 0; PostgreSQL's sums are numeric)."""
    return Counts(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0), int(row[3] or 0))
