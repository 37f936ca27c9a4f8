"""Results of read-side queries, kept until a writer stores a change (app.models.DataChange)."""

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import DataChange

MAX_ENTRIES: Final = 4096
P = ParamSpec("P")
R = TypeVar("R")
_store: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def data_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever a writer stores a change the pages show (a release, an interval's attribution, a backfill
    batch, a release's scope reading): the count of app.models.DataChange rows, asked once per session."""
    if "data_version" not in session.info:
        changes = session.execute(select(func.count()).select_from(DataChange)).scalar_one()
        session.info["data_version"] = (str(session.get_bind().engine.url), changes)
    return session.info["data_version"]


def cached(fn: Callable[P, R]) -> Callable[P, R]:
    """Memoize a query function whose first argument is the session and whose others are hashable. The key is
    the arguments bound to the signature with defaults filled in, so that `f(s, a)`, `f(s, a, None)` and
    `f(s, a, path=None)` share one entry."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, Session)
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        key = (fn.__qualname__, data_version(session), tuple(bound.arguments.values())[1:])
        if key in _store:
            _store.move_to_end(key)
            return _store[key]
        result = fn(*args, **kwargs)
        _store[key] = result
        if len(_store) > MAX_ENTRIES:
            _store.popitem(last=False)
        return result

    return wrapper


def clear() -> None:
    _store.clear()
