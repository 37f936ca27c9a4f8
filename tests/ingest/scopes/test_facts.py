"""The scope facts of one file: calls, saves and restores with their targets, blocks, exit paths, the tail."""

from ingest.scopes.facts import FileFacts, FunctionFacts, Step, Target, file_facts


def function(facts: FileFacts, name: str) -> FunctionFacts:
    return next(f for f in facts.functions if f.name == name)


def steps(facts: FileFacts, name: str) -> list[tuple[str, str, int]]:
    return [(e.step, e.name, e.line) for e in function(facts, name).events if e.step not in (Step.BLOCK, Step.END)]


SOURCE = b"""\
static int helper(struct inode *inode, unsigned int flags)
{
	unsigned int nofs = memalloc_nofs_save();	/* line 3 */
	void *p = kmalloc(16, GFP_NOFS);
	if (!p) {
		memalloc_nofs_restore(nofs);
		return -ENOMEM;
	}
	if (flags)
		memalloc_nofs_restore(nofs);
	ctx->saved = memalloc_noio_save();
	memalloc_flags_restore(flags);
	ops->alloc(p);
	"call_in_a_string(";
	// commented_call(x);
	memalloc_nofs_restore(nofs);
	return 0;
out:
	cleanup(p);
	return -EIO;
}

int exported(void)
{
	unsigned int f = memalloc_flags_save(PF_MEMALLOC_NOIO | PF_MEMALLOC_NOWARN);
	memalloc_flags_save(PF_MEMALLOC_PIN);
	return memalloc_nofs_save();
}
EXPORT_SYMBOL_GPL(exported);
static const struct ops ops = { .alloc = helper };
#define CALLS_IT(x) hidden_call(x)
"""


def test_calls_saves_and_restores_in_source_order_with_their_targets() -> None:
    facts = file_facts(SOURCE)
    assert steps(facts, "helper") == [
        ("save", "memalloc_nofs_save", 3),
        ("call", "kmalloc", 4),
        ("restore", "memalloc_nofs_restore", 6),
        ("restore", "memalloc_nofs_restore", 10),
        ("save", "memalloc_noio_save", 11),
        ("restore", "memalloc_flags_restore", 12),
        ("restore", "memalloc_nofs_restore", 16),
        ("tail", "", 18),
        ("call", "cleanup", 19),
    ]  # ops->alloc() is a pointer: not a call by name; strings and comments are not code
    events = [e for e in function(facts, "helper").events if e.step in (Step.SAVE, Step.RESTORE)]
    assert [(e.scope, e.target, e.target_name) for e in events] == [
        ("nofs", Target.LOCAL, "nofs"),
        ("nofs", Target.LOCAL, "nofs"),
        ("nofs", Target.LOCAL, "nofs"),
        ("noio", Target.FIELD, "saved"),
        (None, Target.PARAMETER, "flags"),
        ("nofs", Target.LOCAL, "nofs"),
    ]


def test_exit_paths_conditional_statements_and_the_tail_are_marked() -> None:
    events = [e for e in function(file_facts(SOURCE), "helper").events if e.step in (Step.RESTORE, Step.CALL)]
    early, braceless, _flags, last, cleanup = [e for e in events if e.name != "kmalloc"]
    assert early.exits and not early.conditional  # its block returns after it
    assert braceless.conditional and not braceless.exits
    assert not last.exits and not last.tail
    assert cleanup.tail  # after the first top-level return: error labels


def test_memalloc_flags_save_is_a_scope_only_with_a_scope_flag() -> None:
    saves = [e for e in function(file_facts(SOURCE), "exported").events if e.step is Step.SAVE]
    assert [(e.scope, e.target) for e in saves] == [("noio", Target.LOCAL), ("nofs", Target.RETURN)]


def test_references_and_macro_names_tell_function_pointers_and_macro_calls() -> None:
    facts = file_facts(SOURCE)
    assert "helper" in facts.references  # .alloc = helper: may be called through the pointer
    assert "exported" not in facts.references  # EXPORT_SYMBOL names it without calling it
    assert "kmalloc" not in facts.references
    assert "hidden_call" in facts.macro_names
    assert function(facts, "helper").static and not function(facts, "exported").static
    assert {"inode", "flags"} <= function(facts, "helper").parameters


def test_a_column_zero_brace_ends_a_function_even_when_ifdefs_unbalance_it() -> None:
    source = b"""\
int a(void)
{
#ifdef X
	if (x) {
#else
	if (y) {
#endif
		first();
	}
}
int b(void)
{
	second();
}
"""
    facts = file_facts(source)
    assert [f.name for f in facts.functions] == ["a", "b"]
    assert steps(facts, "b") == [("call", "second", 13)]
