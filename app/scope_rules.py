"""What `nofs scopes` finds and by which rule: the names and texts pages, the API and the
CLI print beside every scope figure. How the rules are applied is ingest/scopes/facts.py and ingest/scopes/graph.py."""

from enum import StrEnum
from typing import Final

# Bump when a rule below changes what is found: `nofs scopes` reads releases analysed by an older rule again.
RULE_VERSION: Final = 1

# How far the reading goes, stated in the rule text (ingest/scopes/tree.py applies them).
MAX_CALLER_DEPTH: Final = 4  # callers of callers … of the function holding a use
MAX_NAME_FILES: Final = 60  # a name mentioned in more files is not followed (its callers are not all read)


class Finding(StrEnum):
    REDUNDANT = "redundant"  # a GFP_NOFS/GFP_NOIO use where a covering scope is always open
    UNPAIRED_SAVE = "unpaired_save"  # a save whose value is neither restored nor handed on in its function
    FOREIGN_RESTORE = "foreign_restore"  # a restore of a local value that no save in its function produced
    WRAPPER_SCOPE = "wrapper_scope"  # save; one call; restore
    OPENER = "opener"  # leaves a scope open for a paired closer (XFS's transaction start)
    CLOSER = "closer"  # closes a scope its caller's opener left open


FINDING_LABELS: Final = {
    Finding.REDUNDANT: "redundant in scope",
    Finding.UNPAIRED_SAVE: "save without a restore",
    Finding.FOREIGN_RESTORE: "restore of a value no save produced",
    Finding.WRAPPER_SCOPE: "wrapper scope (save, one call, restore)",
    Finding.OPENER: "scope opener",
    Finding.CLOSER: "scope closer",
}


class How(StrEnum):
    HERE = "here"  # the scope is open at the use in its own function
    CALLERS = "callers"  # every caller, directly or through such functions, calls it inside a scope


# Which open scope makes a use redundant: PF_MEMALLOC_NOIO clears __GFP_IO and __GFP_FS, NOFS only __GFP_FS.
COVERED_BY: Final = {"GFP_NOFS": ("nofs", "noio"), "GFP_NOIO": ("noio",)}

SCOPE_RULE_TEXT: Final = (
    "Redundant in scope: a code use of GFP_NOFS (GFP_NOIO) where a NOFS or NOIO (NOIO) scope is open on every "
    "path the reading sees. A scope is open between memalloc_nofs_save()/memalloc_noio_save() (or "
    "memalloc_flags_save(PF_MEMALLOC_NOFS/NOIO)) and the restore, in source order within the function; an "
    "open inside a nested block or a braceless if/else/for/while body does not outlive it; a restore inside a "
    "block that then leaves the function (return, goto) is an error path and does not close the scope for the "
    "code after that block; the code after the first top-level return (error labels) starts with no scope. "
    "Across calls: a function that saves into a field some other function restores (tp->t_pflags), or "
    "returns the saved value, and leaves the scope open is an opener; one that restores such a field or a "
    "parameter without opening is a closer; a function that calls an opener and no closer after it is an "
    "opener too, and one that calls a closer it did not open is a closer (XFS: xfs_trans_alloc opens, "
    "xfs_trans_commit and xfs_trans_cancel close; jbd2: start_this_handle opens, stop_this_handle closes). "
    "What a call opens is open only after its arguments: a GFP_NOFS passed to the opener itself is not "
    "inside. A function that leaves a scope open on some paths only (a save under an if) covers nothing after "
    "a call of it, but the restore that follows closes what it may have opened, so its caller is no closer. "
    "A use in a function is also redundant when every call of that function is inside a scope, or "
    "in a function itself only ever called inside one (a greatest fixpoint), with the caller chain as "
    "evidence. Calls are found by name in the lexer's tokens: a static function of a .c file resolves within "
    "its file, others by name across the tree. Not seen: calls through function pointers (a function whose "
    "name is used other than in a call is never judged called only in scope), calls in macro bodies (skipped; "
    "a function a macro names is never judged called only in scope), #ifdef configurations (every branch is "
    "read as text), scopes set by writing current->flags directly, a scope handed to another task. Limits: "
    f"callers are followed {MAX_CALLER_DEPTH} levels up, and a name mentioned in more than {MAX_NAME_FILES} "
    "files is not followed (such a function is not judged called only in scope). Also listed: a save whose "
    "value is neither restored in its function nor stored in a field or returned (unpaired); a restore of a "
    "local no save in its function produced and that is not a parameter (foreign); a save, exactly one call "
    "and the restore (a wrapper scope, which converts nothing below that call); the openers and closers."
)
