"""The read-side cache: one entry per question, however its arguments are spelled."""

from sqlalchemy.orm import Session

from app import cache

calls: list[tuple[object, ...]] = []


@cache.cached
def question(session: Session, release: str, path: str | None = None) -> int:
    calls.append((release, path))
    return len(calls)


def test_positional_keyword_and_default_arguments_share_one_entry(session: Session) -> None:
    cache.clear()
    calls.clear()
    assert question(session, "v1") == question(session, "v1", None) == question(session, "v1", path=None) == 1
    assert question(session, "v1", "fs") == question(session, "v1", path="fs") == 2
    assert calls == [("v1", None), ("v1", "fs")]
