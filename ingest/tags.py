"""Which tags are releases, and in which order. Pure."""

import re
from dataclasses import dataclass

from packaging.version import Version

from app.settings import DEFAULT_TAG_PATTERN, RC_TAG_PATTERN
from app.versions import parse_tag
from ingest.errors import IngestError


@dataclass(frozen=True)
class TagSelection:
    pattern: str = DEFAULT_TAG_PATTERN
    include_rc: bool = False
    since: str | None = None
    until: str | None = None

    def effective_pattern(self) -> str:
        return RC_TAG_PATTERN if self.include_rc and self.pattern == DEFAULT_TAG_PATTERN else self.pattern


def _bound(tag: str | None, what: str) -> Version | None:
    if tag is None:
        return None
    version = parse_tag(tag)
    if version is None:
        raise IngestError(f"--{what} {tag!r} is not a version tag (expected something like v6.7)")
    return version


def select_tags(names: list[str], selection: TagSelection) -> list[tuple[str, Version]]:
    """The release tags among `names`, oldest version first (v4.9 < v4.10 < v4.10.1, -rc before final)."""
    try:
        pattern = re.compile(selection.effective_pattern())
    except re.error as exc:
        raise IngestError(f"tag pattern {selection.pattern!r} is not a regular expression: {exc}") from exc
    since, until = _bound(selection.since, "since"), _bound(selection.until, "until")
    chosen = []
    for name in names:
        if not pattern.search(name):
            continue
        version = parse_tag(name)
        if version is None:
            continue
        if not selection.include_rc and version.is_prerelease:
            continue
        if (since is not None and version < since) or (until is not None and version > until):
            continue
        chosen.append((name, version))
    return sorted(chosen, key=lambda item: (item[1], item[0]))
