"""Results of read-side queries, kept until the next release is ingested (the only time data changes)."""

import functools
import inspect
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, ParamSpec, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Attribution, Release, ScopeAnalysis, ScopeFinding

MAX_ENTRIES: Final = 4096
P = ParamSpec("P")
R = TypeVar("R")
_store: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


def data_version(session: Session) -> tuple[Any, ...]:
    """Changes whenever a release, an interval's attribution or a release's scope reading (`nofs scopes`, which
    stores no release) is stored, redone or removed; asked once per session."""
    if "data_version" not in session.info:
        attributions = select(func.count(), func.max(Attribution.attributed_at)).select_from(Attribution).subquery()
        analyses = select(func.count(), func.max(ScopeAnalysis.analysed_at)).select_from(ScopeAnalysis).subquery()
        row = session.execute(
            select(
                func.count(Release.id),
                func.max(Release.id),
                func.max(Release.ingested_at),
                select(attributions.c[0]).scalar_subquery(),
                select(attributions.c[1]).scalar_subquery(),
                select(analyses.c[0]).scalar_subquery(),
                select(analyses.c[1]).scalar_subquery(),
                # findings read again under an unchanged analysis row still get new ids
                select(func.max(ScopeFinding.id)).scalar_subquery(),
            )
        ).one()
        session.info["data_version"] = (str(session.get_bind().engine.url), *row)
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
