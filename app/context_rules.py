"""What an occurrence of a tracked identifier does where it stands, as ingest/context.py decides it.

The roles and the rule texts live here, beside the lists the parser reads, so that a page or an API answer
can state the rule without importing the ingest (app/ never imports ingest/).
"""

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """What a code occurrence does, read from the tokens of its statement."""

    ARGUMENT = "argument"
    POLICY = "policy"
    MASK = "mask"
    CALL = "call"
    MACRO = "macro"
    OTHER = "other"


# The flag the context tables single out: a NOFS allocation that may not fail is the hardest to convert.
NOFAIL: Final = "__GFP_NOFAIL"
# What a context count counts, said beside every one of them.
CONTEXT_COUNT_RULE: Final = (
    "code occurrences only (not comments, strings or definitions), whatever the count selector says; each "
    "grouped by its role and callee as read from its own statement; a flag counts the occurrences combined "
    "with it in the same operand"
)

# Calls whose purpose is to store a mask for later allocations: the occurrence is a policy, not one request.
POLICY_CALLEES: Final = frozenset({"mapping_set_gfp_mask", "INIT_RADIX_TREE", "RADIX_TREE"})
# Calls that compute a mask from another one: mapping_gfp_constraint(m, GFP_NOFS) is mapping_gfp_mask(m) & GFP_NOFS.
MASK_CALLEES: Final = frozenset({"mapping_gfp_constraint"})

ROLE_RULES: Final[dict[Role, str]] = {
    Role.ARGUMENT: "an argument of a call (the callee): the innermost name( … ) whose argument holds the "
    "occurrence through parentheses, casts, ternary branches and | & ~ flag arithmetic; a call through a "
    "member is named ->member (.member), one through a pointer (*name); a macro that looks like a call "
    "is a callee too",
    Role.POLICY: "stored for later allocations: assigned (=) to a variable, field or array element, a "
    "designated or positional initializer, returned, or passed to a setter (" + ", ".join(sorted(POLICY_CALLEES)) + ")",
    Role.MASK: "mask arithmetic or a test: under ~ or a binary & outside a call's argument, &= |= ^=, "
    "compared (== != < > ! && ||), a ternary's condition, a case label, an if/while/switch condition, or "
    "passed to " + ", ".join(sorted(MASK_CALLEES)),
    Role.CALL: "the tracked name is itself the function called (memalloc_nofs_save())",
    Role.MACRO: "in a #define body and none of the above: the value the macro stands for",
    Role.OTHER: "anything else (a bare expression statement, an array index, sizeof or typeof, a "
    "preprocessor condition, a statement the reader could not balance), with the reason",
}

CONTEXT_RULE_TEXT: Final = (
    "Each code occurrence is read lexically from the tokens of its own statement (back to the previous "
    "; { or } outside comments and strings, forward to the end of the statement), or of its #define body. "
    + " ".join(f"{role.value}: {rule}." for role, rule in ROLE_RULES.items())
    + " Flags are the other GFP_*, __GFP_* and FGP_* names combined with the occurrence in the same "
    "operand (not those of a ternary's other branch or condition); negated means under a ~. "
    "What it cannot see: a macro that hides a call (a callee that is a macro is named as written, and a "
    "mask passed to a macro counts for the macro), the function behind a function pointer (only the member "
    "or pointer name), an argument built in a variable first (the occurrence is then a policy, the later "
    "call is not linked), the return type of a function returning a mask, and #ifdef branches, which are "
    "read as text one after the other."
)
