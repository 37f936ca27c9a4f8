"""Which MAINTAINERS subsystem each path belongs to at a release, by that release's own MAINTAINERS."""

from collections.abc import Callable
from functools import cache

import pygit2
from sqlalchemy.orm import Session

from ingest import store
from ingest.maintainers import THE_REST, Section, SectionIndex, parse_maintainers
from ingest.tree import is_directory

MAINTAINERS_PATH = "MAINTAINERS"
NO_MAINTAINERS = "none"  # the key of the one-section table used for trees without a MAINTAINERS file


class SubsystemMapper:
    """Parses each MAINTAINERS blob once per run; stores it the first time the database sees it."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self._index: SectionIndex | None = None
        self._index_key: str | None = None

    def for_tree(self, session: Session, tree_id: str) -> tuple[int, Callable[[str], int]]:
        """The tree's stored MAINTAINERS file id, and path -> subsystem id by that file's rules."""
        tree = self.repo[tree_id].peel(pygit2.Tree)
        try:
            entry: pygit2.Object | None = tree[MAINTAINERS_PATH]
        except KeyError:
            entry = None
        oid = str(entry.id) if entry is not None else NO_MAINTAINERS
        if self._index is None or self._index_key != oid:
            text = self.repo[entry.id].peel(pygit2.Blob).data.decode("utf-8", "replace") if entry is not None else ""
            sections = parse_maintainers(text)
            if not any(s.name == THE_REST for s in sections):
                sections.append(Section(position=len(sections), name=THE_REST))
            self._index, self._index_key = SectionIndex(sections), oid
        index = self._index
        existing = store.maintainers_file(session, oid)
        if existing is None:
            file_id, subsystem_by_position = store.store_maintainers(session, oid, index.sections)
        else:
            file_id, subsystem_by_position = existing.id, dict(store.stored_sections(session, existing.id))
        is_dir = cache(lambda path: is_directory(tree, path))
        rest = subsystem_by_position[next(s.position for s in index.sections if s.name == THE_REST)]

        def subsystem_of(path: str) -> int:
            section = index.section_for(path, is_dir)
            return subsystem_by_position[section.position] if section else rest

        return file_id, subsystem_of
