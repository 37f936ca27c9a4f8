"""What a code occurrence of a tracked identifier does where it stands (issue 13). Pure: bytes in, facts out.

The rules a reader sees are in app/context_rules.py (Role, ROLE_RULES, CONTEXT_RULE_TEXT); this is how they
are applied. An occurrence is read from the tokens of its own statement, never from the whole file:
- back to the nearest `;`, `{` or `}` before it (a `{` is kept, it tells an initializer or a block), found
  by a raw byte search and then lexed forward with the token rules of ingest/ctokens.py (comments skipped,
  string and character literals as operands, preprocessor lines skipped: #ifdef branches read as text);
  when that start turns out to lie inside a comment, a literal or an unclosed bracket (a `*/` or a closing
  bracket with no opener, the occurrence itself swallowed), the next boundary further back is tried;
- forward to the end of its statement or initializer element (`;` or `,` at the level of the enclosing
  block, or the block's `}`);
- in a #define body, the body is the statement.
The tokens are then read from the occurrence outwards, one bracket level at a time: its operand at a
level runs between the nearest boundaries (`,` `;` an assignment, `return`, `case`, the brackets), a
ternary's `?` and `:` let the branch through, and a parenthesis that is not a call is climbed through.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from app.context_rules import MASK_CALLEES, POLICY_CALLEES, Role
from ingest.ctokens import (
    COMMENT_END,
    COMMENTS_AND_LITERALS,
    DIRECTIVE_LINE,
    IDENTIFIER,
    PP_NUMBER,
    PUNCTUATOR,
    logical_line_end,
    logical_line_start,
    scanner,
)

# How far a statement may reach back or forward from an occurrence; kernel statements are far shorter.
MAX_STATEMENT_BYTES: Final = 16384

# Comments and preprocessor lines are skipped, literals read as operands, as by the counts' rules.
_LEX: Final = scanner(IDENTIFIER, *COMMENTS_AND_LITERALS, DIRECTIVE_LINE, PP_NUMBER, COMMENT_END, PUNCTUATOR, rb"\S")
_DEFINE: Final = re.compile(rb"[ \t]*#[ \t]*define[ \t]+" + IDENTIFIER + rb"(\()?")

_OPENERS: Final = frozenset((b"(", b"[", b"{"))
_CLOSERS: Final = frozenset((b")", b"]", b"}"))
_ASSIGNMENTS: Final = frozenset((b"=", b"+=", b"-=", b"*=", b"/=", b"%=", b"&=", b"|=", b"^=", b"<<=", b">>="))
_MASK_ASSIGNMENTS: Final = frozenset((b"&=", b"|=", b"^="))
_BOUNDARIES: Final = frozenset((b",", b";", b"return", b"case")) | _ASSIGNMENTS
_TEST_OPERATORS: Final = frozenset((b"==", b"!=", b"<", b">", b"<=", b">=", b"&&", b"||", b"!"))
_MASK_OPERATORS: Final = frozenset((b"&", b"~", b"^"))
_CONTROL: Final = frozenset((b"if", b"while", b"switch", b"for"))
_NOT_CALLS: Final = frozenset((b"sizeof", b"typeof", b"__typeof__", b"__typeof", b"_Alignof", b"alignof", b"_Generic"))
# Parentheses after these are read as plain grouping: likely()/unlikely() only wrap a truth value.
_GROUPING_WORDS: Final = frozenset((b"return", b"case", b"else", b"do", b"likely", b"unlikely"))
_FLAG_PREFIXES: Final = (b"GFP_", b"__GFP_", b"FGP_")
_WORD_START: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_STRING: Final = b'"'
_NUMBER: Final = b"0"


@dataclass(frozen=True, slots=True)
class OccurrenceContext:
    role: Role
    callee: str | None = None  # the call it is an argument of: kmalloc, ->alloc, (*fn)
    argument_index: int | None = None  # which argument of the callee (0-based)
    flags: tuple[str, ...] = ()  # other GFP_*/__GFP_*/FGP_* names in the same operand, sorted
    negated: bool = False  # under a ~ (mask & ~__GFP_FS)
    conditional: bool = False  # a branch of a ternary (nofs ? GFP_NOFS : GFP_KERNEL)
    in_macro: bool = False  # in a #define body
    reason: str = ""  # which rule decided, in a few words


@dataclass(slots=True)
class _Tokens:
    values: list[bytes]
    parent: list[int]  # index of the innermost open bracket holding each token; -1 at the top
    pair: list[int]  # index of the matching bracket of a bracket; -1 otherwise or when unclosed
    at: int  # index of the occurrence


def context_at(text: bytes, pos: int) -> OccurrenceContext:
    """The context of the code occurrence of an identifier starting at byte offset `pos` of `text`."""
    directive = _directive_span(text, pos)
    if directive is not None:
        return _directive_context(text, pos, *directive)
    floor = max(0, pos - MAX_STATEMENT_BYTES)
    limit = min(len(text), pos + MAX_STATEMENT_BYTES)
    boundary = pos
    while boundary > 0:
        boundary = max(text.rfind(char, floor, boundary) for char in (b";", b"{", b"}"))
        if boundary < 0:
            if floor:
                break
            start = 0  # the file's start is a statement start: the last try
        else:
            start = boundary if text[boundary] == 0x7B else boundary + 1  # a { is kept: initializer or block
            inside = _directive_span(text, start)
            if inside is not None:
                start = inside[1]
        tokens = _lex(text, start, limit, pos, balanced=True)
        if tokens is not None:
            return _analyse(tokens, in_macro=False)
    return OccurrenceContext(Role.OTHER, reason="no balanced statement within reach")


def contexts(text: bytes, positions: list[int]) -> list[OccurrenceContext]:
    """The contexts of several code occurrences of one blob, in the order given.

    One statement each: a single pass over the blob would cost the file's length, and a blob's occurrences
    rarely share a statement (2,094 occurrences of a whole tree: 0.05-0.07 s this way).
    """
    return [context_at(text, pos) for pos in positions]


def _directive_span(text: bytes, pos: int) -> tuple[int, int] | None:
    """The (start, end) of the preprocessor line holding `pos`, following backslash continuations; else None."""
    start = logical_line_start(text, pos)
    first = start
    while first < len(text) and text[first] in b" \t":
        first += 1
    if text[first : first + 1] != b"#":
        return None
    return start, logical_line_end(text, start)


def _directive_context(text: bytes, pos: int, start: int, end: int) -> OccurrenceContext:
    define = _DEFINE.match(text, start, end)
    if define is None:
        return OccurrenceContext(Role.OTHER, reason="preprocessor directive")
    body = define.end()
    if define.group(1):  # a function-like macro: the body starts after its parameter list
        close = text.find(b")", body, end)
        body = end if close < 0 else close + 1
    tokens = _lex(text, body, end, pos, balanced=False)
    if tokens is None:
        return OccurrenceContext(Role.OTHER, in_macro=True, reason="not readable in the macro body")
    return _analyse(tokens, in_macro=True)


def _lex(text: bytes, start: int, limit: int, pos: int, balanced: bool) -> _Tokens | None:
    """Tokens from `start` to the end of the statement holding `pos`; None when `start` cannot be right.

    `balanced` asks for a statement start: a closing bracket without its opener, a `*/` outside a comment or
    the occurrence inside a comment or literal mean the lexing began in the middle of something.
    """
    values: list[bytes] = []
    parent: list[int] = []
    pair: list[int] = []
    stack: list[int] = []
    at = -1
    statement_depth = 0  # brackets open at the occurrence's statement level: up to its innermost {
    for match in _LEX.finditer(text, start, limit):
        value = match.group()
        first = value[0]
        if (first == 0x2F and value[1:2] in (b"*", b"/")) or first == 0x0A or first == 0x22 or first == 0x27:
            if match.start() < pos < match.end():
                return None
            if first != 0x22 and first != 0x27:
                continue  # a comment or a preprocessor line
            value = _STRING
        elif first in b"0123456789" or (first == 0x2E and len(value) > 1):
            value = _NUMBER
        elif value == b"*/":
            if balanced:
                return None
            continue
        elif value == b"\\":
            continue
        if at < 0:
            if match.start() == pos:
                at = len(values)
                statement_depth = next((d + 1 for d in range(len(stack) - 1, -1, -1) if values[stack[d]] == b"{"), 0)
            elif match.start() > pos:
                return None
        index = len(values)
        values.append(value)
        pair.append(-1)
        parent.append(stack[-1] if stack else -1)
        if value in _OPENERS:
            stack.append(index)
        elif value in _CLOSERS:
            if not stack:
                if balanced:
                    return None
                values.pop(), pair.pop(), parent.pop()
                if at >= 0:
                    break
                continue
            opener = stack.pop()
            pair[opener], pair[index] = index, opener
            if at >= 0 and len(stack) < statement_depth:
                break
        elif at >= 0 and len(stack) == statement_depth and (value == b";" or value == b","):
            break
    if at < 0:
        return None
    return _Tokens(values, parent, pair, at)


def _analyse(tokens: _Tokens, in_macro: bool) -> OccurrenceContext:
    values, parent, pair, at = tokens.values, tokens.parent, tokens.pair, tokens.at
    count = len(values)
    if at + 1 < count and values[at + 1] == b"(":
        return OccurrenceContext(Role.CALL, in_macro=in_macro, reason="called")

    def previous(j: int) -> int:
        j -= 1
        if j >= 0 and values[j] in _CLOSERS and pair[j] >= 0:
            return pair[j]
        return j

    def following(j: int) -> int:
        if values[j] in _OPENERS:
            return pair[j] + 1 if pair[j] >= 0 else count
        return j + 1

    flags: set[bytes] = set()
    negated = conditional = masked = False
    item = at  # the occurrence, or the bracket group holding it at the level being read
    while True:
        opener = parent[item]
        low = opener
        high = pair[opener] if opener >= 0 and pair[opener] >= 0 else count

        left: list[int] = []
        skipping = False  # inside a ternary's condition or other branch: not part of the operand
        j = previous(item)
        while j > low:
            value = values[j]
            if value == b"?" or value == b":":
                conditional = skipping = True
            elif value in _BOUNDARIES:
                break
            elif not skipping:
                left.append(j)
            j = previous(j)
        left_boundary = j
        before = values[j] if j > low else None
        if before == b"case":
            return _context(Role.MASK, "case label", flags, negated, conditional, in_macro)

        right: list[int] = []
        skipping = condition = False
        j = following(item)
        while j < high:
            value = values[j]
            if value == b"?" and not skipping:
                condition = True
                break
            if value == b"?" or value == b":":
                conditional = skipping = True
            elif value in _BOUNDARIES:
                break
            elif not skipping:
                right.append(j)
            j = following(j)
        after = values[j] if j < high else None

        operand = left + right
        operators = {values[j] for j in operand}
        if condition or operators & _TEST_OPERATORS:
            return _context(Role.MASK, "test", flags, negated, conditional, in_macro)
        masked = masked or bool(operators & _MASK_OPERATORS)
        negated = negated or _under_tilde(values, left)
        flags.update(_flag_names(values, pair, operand))

        if before in _ASSIGNMENTS:
            if before == b"=":
                role = Role.MASK if masked else Role.POLICY
                reason = "designated initializer" if _designator(values, previous, left_boundary, low) else "assigned"
                return _context(role, reason, flags, negated, conditional, in_macro)
            role = Role.MASK if before in _MASK_ASSIGNMENTS else Role.OTHER
            return _context(role, "compound assignment", flags, negated, conditional, in_macro)
        if before == b"return":
            return _context(Role.MASK if masked else Role.POLICY, "returned", flags, negated, conditional, in_macro)
        if after in _ASSIGNMENTS:
            return _context(Role.OTHER, "assigned to", flags, negated, conditional, in_macro)

        frame = values[opener] if opener >= 0 else None
        if frame is None or frame == b"{":
            if frame is None and in_macro:
                return _context(Role.MASK if masked else Role.MACRO, "macro body", flags, negated, conditional, True)
            if after == b"," or (frame == b"{" and after is None):
                role = Role.MASK if masked else Role.POLICY
                return _context(role, "initializer element", flags, negated, conditional, in_macro)
            return _context(Role.OTHER, "expression statement", flags, negated, conditional, in_macro)
        if frame == b"[":
            return _context(Role.OTHER, "array index", flags, negated, conditional, in_macro)
        if before == b";":
            return _context(Role.OTHER, "for clause", flags, negated, conditional, in_macro)

        callee = _callee(values, pair, opener)
        if callee is not None:
            if callee in _CONTROL:
                return _context(Role.MASK, "control condition", flags, negated, conditional, in_macro)
            if callee in _NOT_CALLS or callee == b"[]":
                reason = "call through an array element" if callee == b"[]" else f"operand of {callee.decode()}"
                return _context(Role.OTHER, reason, flags, negated, conditional, in_macro)
            name = callee.decode("utf-8", "backslashreplace")
            role = Role.POLICY if name in POLICY_CALLEES else Role.MASK if name in MASK_CALLEES else Role.ARGUMENT
            index = 0
            j = previous(item)
            while j > low:
                index += values[j] == b","
                j = previous(j)
            return OccurrenceContext(
                role, name, index, _sorted_names(flags), negated, conditional, in_macro, reason="argument"
            )
        item = opener


def _callee(values: list[bytes], pair: list[int], opener: int) -> bytes | None:
    """What is called when `(` at `opener` opens an argument list: a name, ->name, (*name); else None."""
    j = opener - 1
    if j < 0:
        return None
    value = values[j]
    if value[0] in _WORD_START:
        if value in _GROUPING_WORDS:
            return None
        if j >= 1 and values[j - 1] in (b"->", b"."):
            return values[j - 1] + value
        return value
    if value == b")" and pair[j] >= 0 and values[pair[j] + 1] == b"*":
        return b"(" + b"".join(values[pair[j] + 1 : j]) + b")"
    if value == b"]":
        return b"[]"
    return None  # a grouping parenthesis, or one after a cast


def _designator(values: list[bytes], previous: Callable[[int], int], equals: int, low: int) -> bool:
    """Whether the target of the `=` at `equals` is a designator: `.field` or `[index]` opening an element."""
    j, first = previous(equals), equals
    while j > low and values[j] not in _BOUNDARIES and values[j] != b"{":
        j, first = previous(j), j
    return values[first] in (b".", b"[")


def _under_tilde(values: list[bytes], left: list[int]) -> bool:
    """Whether the nearest operator before the operand (casts skipped) is ~; `left` runs outwards."""
    for j in left:
        if values[j] == b"(":
            continue  # a cast, (gfp_t), read as its opening bracket
        return values[j] == b"~"
    return False


def _flag_names(values: list[bytes], pair: list[int], operand: list[int]) -> set[bytes]:
    names = set()
    for j in operand:
        value = values[j]
        if value.startswith(_FLAG_PREFIXES):
            names.add(value)
        elif value == b"(" and pair[j] >= 0 and (j == 0 or values[j - 1][0] not in _WORD_START):
            names.update(v for v in values[j + 1 : pair[j]] if v.startswith(_FLAG_PREFIXES))
    return names


def _sorted_names(names: set[bytes]) -> tuple[str, ...]:
    return tuple(sorted(name.decode() for name in names))


def _context(
    role: Role, reason: str, flags: set[bytes], negated: bool, conditional: bool, in_macro: bool
) -> OccurrenceContext:
    return OccurrenceContext(
        role, None, None, _sorted_names(flags), negated, conditional, in_macro=in_macro, reason=reason
    )
