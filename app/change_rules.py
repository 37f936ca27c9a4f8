"""What kind of change removed or added an occurrence, as ingest/change_kinds.py decides it.

The kinds and their rule texts live here so that pages, the API and the report can state the rule without
importing the ingest (app/ never imports ingest/).
"""

from enum import StrEnum
from typing import Final, NamedTuple


class ChangeKind(StrEnum):
    """Each is one column of commit_changes, counting occurrences (never negative)."""

    CONVERTED = "converted"
    REMOVED_WITH_CODE = "removed_with_code"
    MOVED_OUT = "moved_out"
    MOVED_IN = "moved_in"
    ADDED_NEW = "added_new"
    ADDED_EXISTING = "added_existing"


REMOVALS: Final = (ChangeKind.CONVERTED, ChangeKind.REMOVED_WITH_CODE, ChangeKind.MOVED_OUT)

LABELS: Final[dict[ChangeKind, str]] = {
    ChangeKind.CONVERTED: "converted",
    ChangeKind.REMOVED_WITH_CODE: "removed with its code",
    ChangeKind.MOVED_OUT: "moved out",
    ChangeKind.MOVED_IN: "moved in",
    ChangeKind.ADDED_NEW: "added in new code",
    ChangeKind.ADDED_EXISTING: "added to existing code",
}

# git diff-tree -M at this similarity pairs a deleted file with an added one as a rename.
RENAME_SIMILARITY: Final = 50

KIND_RULES: Final[dict[ChangeKind, str]] = {
    ChangeKind.CONVERTED: "fewer in a function that the commit kept (the line now has another flag, the "
    "allocation went, or the function gained a scope), or at file scope of a file it kept",
    ChangeKind.REMOVED_WITH_CODE: "fewer because the function that held them, or the whole file, went away",
    ChangeKind.MOVED_OUT: "left with a file git detects as renamed, or with a function of the "
    "same name that the same commit defines newly in another file",
    ChangeKind.MOVED_IN: "the other end of a move: arrived with a renamed file or a moved function",
    ChangeKind.ADDED_NEW: "more in a function (or file) that did not exist before the commit",
    ChangeKind.ADDED_EXISTING: "more in a function that existed before the commit, or at file scope of a file "
    "that existed",
}

CHANGE_RULE_TEXT: Final = (
    "Each commit's change in code occurrences (uses; comments, strings and definitions are not split) is "
    "split per file, identifier and enclosing function (as the lexer names it; file scope is one place): "
    "the function's count before and after the commit, net, is one kind. "
    + " ".join(f"{LABELS[kind]}: {rule}." for kind, rule in KIND_RULES.items())
    + f" Renames are git's rename detection (diff-tree -M{RENAME_SIMILARITY}%) among the commit's own deleted "
    "and added files; a move keeps min(before, after) per function, the rest is converted, removed or "
    "added. A merge's own change (its conflict resolution) is split by the functions of the merge and its "
    "first parent, with no moves. The kinds add up to the change: moved in + added in new code + added to "
    "existing code - converted - removed with its code - moved out = the change in uses, for every commit, "
    "file and release. What it cannot see: a line moved between two functions that both stay (a conversion "
    "in one, an addition in the other), a function renamed in place (removed with its code, then added in "
    "new code), a file whose count did not change (its shifts inside are not recorded)."
)


class ChangeSplit(NamedTuple):
    """Occurrences by ChangeKind, in its order; adds field by field."""

    converted: int = 0
    removed_with_code: int = 0
    moved_out: int = 0
    moved_in: int = 0
    added_new: int = 0
    added_existing: int = 0

    @property
    def net(self) -> int:
        """What the parts add up to: the change in uses."""
        return self.moved_in + self.added_new + self.added_existing - self.removed

    @property
    def removed(self) -> int:
        return self.converted + self.removed_with_code + self.moved_out

    @property
    def added(self) -> int:
        return self.moved_in + self.added_new + self.added_existing

    def __add__(self, other: tuple[int, ...]) -> "ChangeSplit":  # type: ignore[override]
        return ChangeSplit(*(a + b for a, b in zip(self, other, strict=True)))

    def words(self, kinds: tuple[ChangeKind, ...] = tuple(ChangeKind)) -> str:
        """ "converted 2, removed with its code 1": the kinds asked for that are not zero."""
        return ", ".join(f"{LABELS[kind]} {getattr(self, kind.value):,}" for kind in kinds if getattr(self, kind.value))

    def parts(self) -> list[tuple[ChangeKind, str, int]]:
        """(kind, label, value) of each kind, in the order pages show them."""
        return [(kind, LABELS[kind], getattr(self, kind.value)) for kind in ChangeKind]


NO_CHANGE: Final = ChangeSplit()
