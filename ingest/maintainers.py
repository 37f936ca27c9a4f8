"""Parse a MAINTAINERS file and find the section a path belongs to, with scripts/get_maintainer.pl's rules.

- `F:`/`X:` are globs turned into regexes the way get_maintainer.pl turns them (`.` literal, `*` any run
  of characters including `/`, `?` one character), matched from the start of the path; a pattern that
  ends in `/` (or names a directory of the tree) matches everything below it, any other pattern only
  paths with as many `/` as itself;
- `N:` is a regular expression searched anywhere in the path (Perl's /x: blanks in it are ignored);
- `X:` excludes the section for the paths it matches;
- the most specific match wins: a section scores the largest depth of its matching `F:` patterns (the
  number of `/` in the pattern, plus one unless it ends in `/`; -1 for a pattern that starts with `*`,
  like THE REST's), an `N:` match scores 0; ties go to the section that comes first in the file.
Pure: text in, sections and assignments out; whether a path is a directory is asked of a callback.
"""

import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

log = logging.getLogger(__name__)

THE_REST = "THE REST"
_TAG_LINE = re.compile(r"^([A-Z]):\s*(.*)$")
_GLOB_SPECIALS = re.compile(r"[*?\[\](){}+^$|\\]")


@dataclass
class Section:
    position: int
    name: str
    status: str | None = None
    maintainers: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    lists: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    regexes: list[str] = field(default_factory=list)

    @property
    def patterns(self) -> dict[str, list[str]]:
        return {"F": self.files, "X": self.excludes, "N": self.regexes}


_FIELDS = {"M": "maintainers", "R": "reviewers", "L": "lists", "F": "files", "X": "excludes", "N": "regexes"}


def parse_maintainers(text: str) -> list[Section]:
    """Sections in file order: a title line, then a run of `X: value` lines (blank and # lines skipped)."""
    sections: list[Section] = []
    previous_title: str | None = None
    current: Section | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped[0] == "#":
            continue
        tag = _TAG_LINE.match(raw) if raw[1:2] == ":" else None  # the cheap test first: 20,000 lines
        if tag is None:
            previous_title, current = stripped, None
            continue
        if current is None:
            if previous_title is None:
                continue  # tag lines with no title above them belong to no section
            current = Section(position=len(sections), name=previous_title)
            sections.append(current)
            previous_title = None
        letter, value = tag.group(1), tag.group(2).strip()
        if letter == "S":
            current.status = value
        elif letter in _FIELDS:
            getattr(current, _FIELDS[letter]).append(value)
    return sections


IsDir = Callable[[str], bool]


@dataclass(slots=True)
class _FilePattern:
    section: int
    value: str
    regex: re.Pattern[str] | None  # None for a plain path, matched by string comparison
    slashes: int
    depth: int

    def matches(self, path: str, slashes: int, is_dir: IsDir) -> bool:
        value = self.value
        if value.endswith("/"):
            return path.startswith(value) if self.regex is None else self.regex.match(path) is not None
        if self.regex is not None:
            return slashes == self.slashes and self.regex.match(path) is not None
        # A plain path names a directory when the tree has one there (get_maintainer.pl's `-d`): a
        # path below it proves that without asking; a sibling with the same prefix needs the answer.
        if path.startswith(value + "/"):
            return True
        return slashes == self.slashes and path.startswith(value) and not is_dir(value)


def _glob_regex(value: str) -> re.Pattern[str] | None:
    if not _GLOB_SPECIALS.search(value):
        return None
    converted = value.replace(".", r"\.").replace("*", ".*").replace("?", ".")
    try:
        return re.compile(converted)
    except re.error:
        return re.compile(re.escape(value))


@cache  # successive MAINTAINERS files share almost all their patterns
def _pattern_shape(value: str) -> tuple[str, re.Pattern[str] | None, int, int]:
    """The pattern's index bucket (the directory part of its literal prefix), regex, slashes and depth."""
    literal = value[: m.start()] if (m := _GLOB_SPECIALS.search(value)) else value
    slashes = value.count("/")
    depth = -1 if value.startswith("*") else slashes + (0 if value.endswith("/") else 1)
    return literal[: literal.rfind("/") + 1], _glob_regex(value), slashes, depth


def _file_pattern(section: int, value: str) -> tuple[str, _FilePattern]:
    bucket, regex, slashes, depth = _pattern_shape(value)
    return bucket, _FilePattern(section, value, regex, slashes, depth)


class SectionIndex:
    """Assigns paths to sections: built once per MAINTAINERS text, asked for many paths of many trees."""

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self._files: dict[str, list[_FilePattern]] = defaultdict(list)
        self._excludes: dict[int, list[_FilePattern]] = defaultdict(list)
        self._regexes: list[tuple[int, re.Pattern[str]]] = []
        self._any_regex: re.Pattern[str] | None = None  # one search tells most paths no N: matches
        self._tree_free: dict[str, Section | None] = {}
        for section in sections:
            for value in section.files:
                bucket, pattern = _file_pattern(section.position, value)
                self._files[bucket].append(pattern)
            for value in section.excludes:
                self._excludes[section.position].append(_file_pattern(section.position, value)[1])
            for value in section.regexes:
                try:
                    self._regexes.append((section.position, re.compile(value, re.X)))
                except re.error as exc:
                    log.warning("MAINTAINERS %r: N: %r is not a usable regex (%s)", section.name, value, exc)
        if self._regexes:
            with contextlib.suppress(re.error):  # e.g. a group name used twice: then each is tried alone
                self._any_regex = re.compile("|".join(f"(?:{r.pattern})" for _, r in self._regexes), re.X)

    def section_for(self, path: str, is_dir: IsDir) -> Section | None:
        """The most specific section for `path` in a tree where `is_dir` tells directories; None if none."""
        if path in self._tree_free:
            return self._tree_free[path]
        asked = False

        def asking(directory: str) -> bool:
            nonlocal asked
            asked = True
            return is_dir(directory)

        section = self._section_for(path, asking)
        if not asked:  # the answer holds for this path in every tree
            self._tree_free[path] = section
        return section

    def _section_for(self, path: str, is_dir: IsDir) -> Section | None:
        slashes = path.count("/")
        scores: dict[int, int] = {}
        for bucket in _ancestor_buckets(path):
            for pattern in self._files.get(bucket, ()):
                if pattern.depth > scores.get(pattern.section, -2) and pattern.matches(path, slashes, is_dir):
                    scores[pattern.section] = pattern.depth
        if self._any_regex is None or self._any_regex.search(path):
            for position, regex in self._regexes:
                if scores.get(position, -2) < 0 and regex.search(path):
                    scores[position] = 0
        candidates = [
            position
            for position in scores
            if not any(x.matches(path, slashes, is_dir) for x in self._excludes.get(position, ()))
        ]
        if not candidates:
            return None
        best = max(candidates, key=lambda position: (scores[position], -position))
        return self.sections[best]


def _ancestor_buckets(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["", *("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))]
