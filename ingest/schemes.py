"""A repository's release scheme applied to what is stored: lines recomputed from the stored tags, no scan."""

import re
from collections.abc import Iterable

from sqlalchemy.orm import Session

from app.lines import Scheme
from app.web_views import KERNEL, WebViews
from ingest import store
from ingest.tags import SchemeChoice, TagSelection, scheme_of
from ingest.versions import parse_tag


def apply(session: Session, choice: SchemeChoice, remote: str | None, web: WebViews | None, pattern: str) -> int:
    """Record the repository's facts and give every stored release matching `pattern` the line its tag has
    under the scheme; how many releases changed line. The caller commits."""
    store.record_repository(session, store.RepositoryFacts(choice.scheme, choice.rule, remote, web))
    compiled = re.compile(pattern)
    return store.reclassify(
        session, lambda tag: parse_tag(tag, compiled, choice.scheme) if compiled.search(tag) else None
    )


def relines(session: Session, scheme: Scheme | None = None) -> tuple[SchemeChoice, int]:
    """Without the repository: the scheme guessed from the stored tags (or `scheme`), applied to them. The
    repository's remote and links stay as stored; a database that has none keeps the kernel's links when its
    lines are the kernel's (what it showed before the repository was recorded). The caller commits."""
    tags: Iterable[str] = store.stored_releases(session)
    choice = scheme_of(tags, TagSelection(pattern="", scheme=scheme))
    if scheme is None:
        choice = SchemeChoice(choice.scheme, f"{choice.rule} (from the stored tags)")
    stored = store.stored_repository(session)
    if stored is not None:
        remote, web = stored.remote, WebViews.from_json(stored.web) if stored.web else None
    else:
        remote, web = None, KERNEL if choice.scheme == Scheme.KERNEL else None
    return choice, apply(session, choice, remote, web, "")
