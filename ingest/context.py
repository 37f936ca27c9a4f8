"""The occurrence context: what a code occurrence of a tracked identifier does where it stands. Pure: bytes in,
facts out.

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
_NOT_PLAIN: Final = frozenset(b"/\n\"'0123456789.*\\")  # the first bytes of tokens _lexeme reads
_STRUCTURAL: Final = _OPENERS | _CLOSERS | {b";", b","}  # the tokens _Statement.bracket reads
_LINE_OR_QUOTE: Final = frozenset(b"\n\"'")
_DIGITS: Final = frozenset(b"0123456789")
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


class _WrongStart(Exception):
    """The lexing began in the middle of something: the statement starts further back."""


def _lex(text: bytes, start: int, limit: int, pos: int, balanced: bool) -> _Tokens | None:
    """Tokens from `start` to the end of the statement holding `pos`; None when `start` cannot be right.

    `balanced` asks for a statement start: a closing bracket without its opener, a `*/` outside a comment or
    the occurrence inside a comment or literal mean the lexing began in the middle of something.
    """
    statement = _Statement(balanced)
    values, parent, pair, stack = statement.values, statement.parent, statement.pair, statement.stack
    try:
        for match in _LEX.finditer(text, start, limit):
            value = match.group()
            if value[0] in _NOT_PLAIN:
                value = _lexeme(match, pos, balanced)
                if not value:
                    continue
            if statement.at < 0 and match.start() >= pos:
                statement.reach(match.start() == pos)
            index = len(values)
            values.append(value)
            pair.append(-1)
            parent.append(stack[-1] if stack else -1)
            if value in _STRUCTURAL and statement.bracket(value, index):
                break
    except _WrongStart:
        return None
    return statement.tokens()


def _lexeme(match: re.Match[bytes], pos: int, balanced: bool) -> bytes:
    """What a token other than a name or a punctuator reads as: a literal as one operand (_STRING), a number as
    _NUMBER; b"" when it is passed over (a comment, a preprocessor line, a backslash ending a macro's line)."""
    value = match.group()
    first = value[0]
    if (first == 0x2F and value[1:2] in (b"*", b"/")) or first in _LINE_OR_QUOTE:
        if match.start() < pos < match.end():
            raise _WrongStart  # the occurrence is inside it
        return _STRING if first != 0x0A and first != 0x2F else b""
    if first in _DIGITS or (first == 0x2E and len(value) > 1):
        return _NUMBER
    if value == b"*/":
        if balanced:
            raise _WrongStart  # a comment closes that did not open after the start
        return b""
    return b"" if value == b"\\" else value


class _Statement:
    """The tokens of a statement as they are lexed (_lex appends each), its brackets, and where the statement
    holding the occurrence ends."""

    __slots__ = ("at", "balanced", "depth", "pair", "parent", "stack", "values")

    def __init__(self, balanced: bool) -> None:
        self.values: list[bytes] = []
        self.parent: list[int] = []  # index of the innermost open bracket holding each token; -1 at the top
        self.pair: list[int] = []  # index of the matching bracket of a bracket; -1 otherwise or when unclosed
        self.stack: list[int] = []  # the brackets open
        self.at = -1  # index of the occurrence, once reached
        self.depth = 0  # brackets open at the occurrence's statement level: up to its innermost {
        self.balanced = balanced

    def reach(self, here: bool) -> None:
        """The occurrence is the next token; not `here`: it was inside the token before, which is no statement's."""
        if not here:
            raise _WrongStart
        self.at = len(self.values)
        values, stack = self.values, self.stack
        self.depth = next((d + 1 for d in range(len(stack) - 1, -1, -1) if values[stack[d]] == b"{"), 0)

    def bracket(self, value: bytes, index: int) -> bool:
        """A bracket, `;` or `,` was taken as token `index`: whether it ends the statement holding the occurrence."""
        stack = self.stack
        if value in _OPENERS:
            stack.append(index)
            return False
        if value in _CLOSERS:
            if not stack:  # no opener: outside the statement, or the end of a macro's body
                if self.balanced:
                    raise _WrongStart
                self.values.pop(), self.pair.pop(), self.parent.pop()
                return self.at >= 0
            opener = stack.pop()
            self.pair[opener], self.pair[index] = index, opener
            return self.at >= 0 and len(stack) < self.depth
        return self.at >= 0 and len(stack) == self.depth  # `;` or `,`

    def tokens(self) -> _Tokens | None:
        return _Tokens(self.values, self.parent, self.pair, self.at) if self.at >= 0 else None


def _analyse(tokens: _Tokens, in_macro: bool) -> OccurrenceContext:
    values = tokens.values
    if tokens.at + 1 < len(values) and values[tokens.at + 1] == b"(":
        return OccurrenceContext(Role.CALL, in_macro=in_macro, reason="called")
    reading = _Reading(tokens, in_macro)
    item = tokens.at  # the occurrence, or the bracket group holding it at the level being read
    while True:
        found = reading.level(item)
        if found is not None:
            return found
        item = tokens.parent[item]


class _Reading:
    """One occurrence's tokens read outwards, a bracket level at a time, until a level says what it does."""

    __slots__ = ("conditional", "flags", "in_macro", "masked", "negated", "pair", "parent", "values")

    def __init__(self, tokens: _Tokens, in_macro: bool) -> None:
        self.values, self.parent, self.pair = tokens.values, tokens.parent, tokens.pair
        self.in_macro = in_macro
        self.flags: set[bytes] = set()
        self.negated = self.conditional = self.masked = False

    def level(self, item: int) -> OccurrenceContext | None:
        """The context, if the level holding `item` decides it; None: the level outside decides. Its operand runs
        between the nearest boundaries (`,` `;` an assignment, `return`, `case`, the brackets)."""
        values = self.values
        opener = self.parent[item]
        left, start = self.leftwards(item, opener)
        before = values[start] if start > opener else None
        if before == b"case":
            return self.context(Role.MASK, "case label")
        right, after, condition = self.rightwards(item, opener)
        operand = left + right
        operators = {values[j] for j in operand}
        if condition or operators & _TEST_OPERATORS:
            return self.context(Role.MASK, "test")
        self.masked = self.masked or bool(operators & _MASK_OPERATORS)
        self.negated = self.negated or _under_tilde(values, left)
        self.flags.update(_flag_names(values, self.pair, operand))
        return self.by_boundary(before, after, start, opener) or self.by_brackets(item, opener, before, after)

    def leftwards(self, item: int, opener: int) -> tuple[list[int], int]:
        """The operand's tokens before `item`, running outwards, and where the boundary before them is (a ternary's
        `?` and `:` let its branch through)."""
        values, pair = self.values, self.pair
        left: list[int] = []
        skipping = False  # inside a ternary's condition or other branch: not part of the operand
        j = _previous(values, pair, item)
        while j > opener:
            value = values[j]
            if value == b"?" or value == b":":
                self.conditional = skipping = True
            elif value in _BOUNDARIES:
                break
            elif not skipping:
                left.append(j)
            j = _previous(values, pair, j)
        return left, j

    def rightwards(self, item: int, opener: int) -> tuple[list[int], bytes | None, bool]:
        """The operand's tokens after `item`, the boundary after them (None: the closing bracket), and whether a
        `?` follows: the operand is a ternary's condition."""
        values, pair = self.values, self.pair
        high = pair[opener] if opener >= 0 and pair[opener] >= 0 else len(values)
        right: list[int] = []
        skipping = False
        j = _following(values, pair, item)
        while j < high:
            value = values[j]
            if value == b"?" and not skipping:
                return right, values[j], True
            if value == b"?" or value == b":":
                self.conditional = skipping = True
            elif value in _BOUNDARIES:
                break
            elif not skipping:
                right.append(j)
            j = _following(values, pair, j)
        return right, values[j] if j < high else None, False

    def by_boundary(
        self, before: bytes | None, after: bytes | None, start: int, opener: int
    ) -> OccurrenceContext | None:
        """What the boundaries around the operand say (`before` it at `start`, `after` it; None: the brackets):
        assigned, returned, assigned to."""
        if before in _ASSIGNMENTS:
            if before == b"=":
                designated = _designator(self.values, self.pair, start, opener)
                return self.context(self.policy(), "designated initializer" if designated else "assigned")
            role = Role.MASK if before in _MASK_ASSIGNMENTS else Role.OTHER
            return self.context(role, "compound assignment")
        if before == b"return":
            return self.context(self.policy(), "returned")
        if after in _ASSIGNMENTS:
            return self.context(Role.OTHER, "assigned to")
        return None

    def by_brackets(
        self, item: int, opener: int, before: bytes | None, after: bytes | None
    ) -> OccurrenceContext | None:
        """What the brackets around the operand say: a statement, an initializer, an index, a call's argument."""
        frame = self.values[opener] if opener >= 0 else None
        if frame is None and self.in_macro:
            return self.context(Role.MASK if self.masked else Role.MACRO, "macro body")
        if frame is None or frame == b"{":
            if after == b"," or (frame == b"{" and after is None):
                return self.context(self.policy(), "initializer element")
            return self.context(Role.OTHER, "expression statement")
        if frame == b"[":
            return self.context(Role.OTHER, "array index")
        if before == b";":
            return self.context(Role.OTHER, "for clause")
        callee = _callee(self.values, self.pair, opener)
        return self.argument(item, opener, callee) if callee is not None else None

    def argument(self, item: int, opener: int, callee: bytes) -> OccurrenceContext:
        """The occurrence is in the argument list of `callee`, opened at `opener`."""
        if callee in _CONTROL:
            return self.context(Role.MASK, "control condition")
        if callee in _NOT_CALLS or callee == b"[]":
            reason = "call through an array element" if callee == b"[]" else f"operand of {callee.decode()}"
            return self.context(Role.OTHER, reason)
        name = callee.decode("utf-8", "backslashreplace")
        role = Role.POLICY if name in POLICY_CALLEES else Role.MASK if name in MASK_CALLEES else Role.ARGUMENT
        values, pair = self.values, self.pair
        index = 0
        j = _previous(values, pair, item)
        while j > opener:
            index += values[j] == b","
            j = _previous(values, pair, j)
        return OccurrenceContext(
            role, name, index, _sorted_names(self.flags), self.negated, self.conditional, self.in_macro, "argument"
        )

    def policy(self) -> Role:
        """A value that is stored or handed on: a policy, unless masked along the way."""
        return Role.MASK if self.masked else Role.POLICY

    def context(self, role: Role, reason: str) -> OccurrenceContext:
        return _context(role, reason, self.flags, self.negated, self.conditional, self.in_macro)


def _previous(values: list[bytes], pair: list[int], j: int) -> int:
    """The token before `j`, a bracket group counting as its opening bracket."""
    j -= 1
    if j >= 0 and values[j] in _CLOSERS and pair[j] >= 0:
        return pair[j]
    return j


def _following(values: list[bytes], pair: list[int], j: int) -> int:
    """The token after `j`, skipping the bracket group `j` opens."""
    if values[j] in _OPENERS:
        return pair[j] + 1 if pair[j] >= 0 else len(values)
    return j + 1


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


def _designator(values: list[bytes], pair: list[int], equals: int, low: int) -> bool:
    """Whether the target of the `=` at `equals` is a designator: `.field` or `[index]` opening an element."""
    j, first = _previous(values, pair, equals), equals
    while j > low and values[j] not in _BOUNDARIES and values[j] != b"{":
        j, first = _previous(values, pair, j), j
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
