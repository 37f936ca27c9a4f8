"""The declared registry of tracked identifiers: what is counted, and which way it should move."""

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Group(StrEnum):
    LEGACY = "legacy"
    SCOPED = "scoped"
    RELATED = "related"


class Direction(StrEnum):
    DOWN = "down"
    UP = "up"
    NONE = "none"


class Kind(StrEnum):
    """How one occurrence of a tracked identifier sits in the C source, decided lexically."""

    CODE = "code"
    COMMENT = "comment"
    STRING = "string"
    DEFINITION = "definition"


# What each kind holds, as ingest/count.py's lexer decides it: every text that states the counting rule
# (under charts, in API answers, on the About page) is made from these.
KIND_RULES: dict[Kind, str] = {
    Kind.CODE: "everything that is not a comment, string or definition, the body of a #define and text inside "
    "#if 0 included",
    Kind.COMMENT: "inside /* … */ or // (with backslash continuations)",
    Kind.STRING: "inside a string or character literal (\"…\" or '…')",
    Kind.DEFINITION: "the name a #define defines, or the name of a function in its definition",
}


class Counts(NamedTuple):
    """Occurrences by Kind, in its order. Adds and subtracts field by field (a tuple would concatenate)."""

    code: int = 0
    comment: int = 0
    string: int = 0
    definition: int = 0

    @property
    def uses(self) -> int:
        """The headline number: code occurrences."""
        return self.code

    @property
    def total(self) -> int:
        """Every occurrence, what `git grep -o -w | wc -l` counts."""
        return self.code + self.comment + self.string + self.definition

    def __add__(self, other: tuple[int, ...]) -> "Counts":  # type: ignore[override]
        return Counts(self[0] + other[0], self[1] + other[1], self[2] + other[2], self[3] + other[3])

    def __sub__(self, other: tuple[int, ...]) -> "Counts":
        return Counts(self[0] - other[0], self[1] - other[1], self[2] - other[2], self[3] - other[3])

    def __neg__(self) -> "Counts":
        return Counts(-self[0], -self[1], -self[2], -self[3])


ZERO_COUNTS = Counts()


@dataclass(frozen=True, slots=True)
class Identifier:
    name: str
    group: Group
    direction: Direction
    description: str


_GROUP_DIRECTION = {Group.LEGACY: Direction.DOWN, Group.SCOPED: Direction.UP, Group.RELATED: Direction.NONE}


def _ids(group: Group, *entries: tuple[str, str]) -> tuple[Identifier, ...]:
    return tuple(Identifier(name, group, _GROUP_DIRECTION[group], text) for name, text in entries)


IDENTIFIERS: tuple[Identifier, ...] = (
    *_ids(
        Group.LEGACY,
        ("GFP_NOFS", "allocation flag: no filesystem recursion; to be replaced by memalloc_nofs_save()"),
        ("GFP_NOIO", "allocation flag: no I/O recursion; to be replaced by memalloc_noio_save()"),
    ),
    *_ids(
        Group.SCOPED,
        ("memalloc_nofs_save", "opens a NOFS scope (v4.12)"),
        ("memalloc_nofs_restore", "closes a NOFS scope (v4.12)"),
        ("memalloc_noio_save", "opens a NOIO scope"),
        ("memalloc_noio_restore", "closes a NOIO scope"),
        ("memalloc_flags_save", "opens a scope for arbitrary PF_MEMALLOC_* flags"),
        ("PF_MEMALLOC_NOFS", "task flag set inside a NOFS scope"),
        ("PF_MEMALLOC_NOIO", "task flag set inside a NOIO scope"),
    ),
    *_ids(
        Group.RELATED,
        ("__GFP_FS", "the allocation bit GFP_NOFS clears"),
        ("__GFP_IO", "the allocation bit GFP_NOIO clears"),
        ("__GFP_NOLOCKDEP", "allocation bit that silences lockdep's reclaim checks"),
        ("FGP_NOFS", "page-cache lookup flag: allocate with GFP_NOFS"),
    ),
)

BY_NAME: dict[str, Identifier] = {ident.name: ident for ident in IDENTIFIERS}
NAMES: tuple[str, ...] = tuple(BY_NAME)

RULE_TEXT = (
    "An identifier matches as a whole word (git grep -w: not preceded or followed by [A-Za-z0-9_]) "
    "in regular files whose path matches the configured globs (default *.c and *.h, anywhere in the tree; "
    "symlinks and submodules are not read, as git grep does not read them). Each occurrence is classified "
    "lexically: " + "; ".join(f"{kind.value}: {rule}" for kind, rule in KIND_RULES.items()) + ". "
    "'uses' are the code occurrences."
)
