"""The scope facts of one C file: its functions and, in each, the calls, saves, restores and blocks the scope
reading needs, in source order (allocation scopes). Pure: bytes in, facts out; ingest/scopes/graph.py judges.

Tokens are ingest/ctokens.py's, comments and literals skipped; functions are found as ingest/count.py finds
them (a `}` in column 0 ends any function; its name by count.py's rule). Preprocessor lines are skipped, so
calls in macro bodies are not seen; the names those lines mention are kept (`macro_names`) so that a function
a macro calls is never judged "called only in scope". Within a function:
- a call is a name followed by `(` that is not a keyword, and not a member (`ops->alloc(`, a pointer);
- a save is memalloc_nofs_save()/memalloc_noio_save() or memalloc_flags_save(PF_MEMALLOC_NOFS/NOIO), with
  where its value goes (a local, a field, `return`); a restore, with what it restores;
- a statement that is the braceless body of if/else/for/while is conditional;
- an event is on an exit path when its block, after it, unconditionally returns or jumps (`goto`);
- the code after a top-level `return` (error labels) is the tail.
"""

import re
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from ingest.count import defined_function_name
from ingest.ctokens import COMMENTS_AND_LITERALS, DIRECTIVE_LINE, IDENTIFIER, IDENTIFIER_RE, scanner

# Comments, literals and preprocessor lines are tokens the reading passes over; of the punctuators, only those
# it compares against, and those holding a `=` that is not an assignment. Its number stops before an exponent's
# sign (`1e`, `+`, `5`), not as ctokens.PP_NUMBER: the text after a comment opened on a directive line is read as
# code here (the divergence tests/ingest/test_ctokens.py holds), and `100BASE-TX` there names `TX` as a reference.
_NUMBER: Final = rb"\.?[0-9][A-Za-z0-9_.]*"
_TOKEN: Final = scanner(
    *COMMENTS_AND_LITERALS, DIRECTIVE_LINE, IDENTIFIER, _NUMBER, rb"->|==|!=|<=|>=|[-+*/%&|^<>]=|[{}();=,.:?]"
)
_WORD_START: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_NOT_CALLS: Final = frozenset(
    b"""if for while switch return sizeof typeof __typeof__ __typeof _Alignof alignof _Generic do else case
    __attribute__ asm __asm__ defined offsetof __builtin_offsetof likely unlikely""".split()
)
_EXPORTS: Final = frozenset(b"EXPORT_SYMBOL EXPORT_SYMBOL_GPL EXPORT_SYMBOL_NS EXPORT_SYMBOL_NS_GPL".split())
_CONTROL: Final = frozenset((b"if", b"for", b"while", b"switch"))

SAVES: Final = {b"memalloc_nofs_save": "nofs", b"memalloc_noio_save": "noio", b"memalloc_flags_save": None}
RESTORES: Final = {b"memalloc_nofs_restore": "nofs", b"memalloc_noio_restore": "noio", b"memalloc_flags_restore": None}
_FLAG_SCOPES: Final = {b"PF_MEMALLOC_NOIO": "noio", b"PF_MEMALLOC_NOFS": "nofs"}
SCOPE_APIS: Final = tuple(name.decode() for name in (*SAVES, *RESTORES))


class Step(StrEnum):
    CALL = "call"
    SAVE = "save"
    RESTORE = "restore"
    BLOCK = "block"  # a nested block opens
    END = "end"  # and closes
    TAIL = "tail"  # the code after the first top-level return starts (error labels, reached by goto)


class Target(StrEnum):
    """Where a saved value goes, or what a restore restores."""

    LOCAL = "local"
    FIELD = "field"  # tp->t_pflags, ctx.flags
    RETURN = "return"
    PARAMETER = "parameter"
    OTHER = "other"


@dataclass(slots=True)
class Event:
    step: Step
    pos: int  # byte offset in the file
    line: int
    name: str = ""  # the callee, the save or restore API
    scope: str | None = None  # nofs / noio for saves and restores; None: memalloc_flags_* without a known flag
    target: Target | None = None
    target_name: str = ""  # the local or the field's member name
    conditional: bool = False  # the braceless body of if/else/for/while
    exits: bool = False  # its block leaves the function after it
    tail: bool = False  # after a top-level return
    end: int = -1  # a call's closing parenthesis: what it opens is open only after its arguments


@dataclass(slots=True)
class FunctionFacts:
    name: str
    static: bool
    start: int  # byte offset of the name
    end: int  # byte offset after the closing brace
    line: int
    parameters: frozenset[str]
    events: list[Event] = field(default_factory=list)
    mentions: dict[str, list[int]] = field(default_factory=dict)  # locals: where each name of a save target occurs


@dataclass(slots=True)
class FileFacts:
    functions: list[FunctionFacts]
    references: frozenset[str]  # names used other than in a call: function pointers (and every variable)
    macro_names: frozenset[str]  # names on preprocessor lines


def file_facts(data: bytes) -> FileFacts:
    """The scope facts of one file's bytes."""
    text = b"\n" + data  # as in ingest/count.py: directives on the first line, offsets + 1
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    bodies: list[tuple[int, int, int]] = []  # top-level blocks: where the text before starts, the {, the }
    references: set[bytes] = set()
    macro_names: set[bytes] = set()
    depth = 0
    region_start = 0
    body_start = -1
    for index, (start, end) in enumerate(tokens):
        first = text[start]
        if first == 0x0A:  # a directive
            macro_names.update(IDENTIFIER_RE.findall(text, start, end))
        elif first == 0x7B:  # {
            if depth == 0:
                body_start = index
            depth += 1
        elif first == 0x7D:  # }
            if depth <= 1 or text[start - 1] == 0x0A:  # a top-level block ends, or a } in column 0 ends any
                if body_start >= 0:
                    bodies.append((region_start, body_start, index))
                depth, region_start, body_start = 0, end, -1
            else:
                depth -= 1
        elif first in _WORD_START and _referenced(text, tokens, index):
            references.add(text[start:end])
    functions = [found for found in (_function(text, tokens, *body) for body in bodies) if found is not None]
    return FileFacts(
        functions=functions,
        references=frozenset(_name(name) for name in references),
        macro_names=frozenset(_name(name) for name in macro_names),
    )


def _referenced(text: bytes, tokens: list[tuple[int, int]], index: int) -> bool:
    """Whether the name at token `index` is used other than in a call: not called, not a member (`->name`,
    `.name`), not named by EXPORT_SYMBOL(name), which calls nothing."""
    if index + 1 < len(tokens) and text[tokens[index + 1][0]] == 0x28:
        return False
    if index and text[tokens[index - 1][0] : tokens[index - 1][1]] in (b"->", b"."):
        return False
    if index < 2:
        return True
    name = tokens[index - 2]
    return text[tokens[index - 1][0]] != 0x28 or text[name[0] : name[1]] not in _EXPORTS


def _name(value: bytes) -> str:
    """A name as one shared string: a kernel tree's facts name the same few functions (kfree, mutex_lock, …) in
    hundreds of thousands of calls, and one string each is most of what the facts of a call would hold."""
    return sys.intern(value.decode("utf-8", "backslashreplace"))


def _value(text: bytes, span: tuple[int, int]) -> bytes:
    return text[span[0] : span[1]]


def _function(
    text: bytes, tokens: list[tuple[int, int]], region_start: int, body: int, close: int
) -> FunctionFacts | None:
    """The facts of the function whose body runs from token `body` (its `{`) to token `close` (its `}`)."""
    name = defined_function_name(text, region_start, tokens[body][0])
    if name is None:
        return None
    header = text[region_start : tokens[body][0]]
    name_pos = header.rfind(name + b"(")
    if name_pos < 0:
        name_pos = header.find(name)
    declaration = header[: max(name_pos, 0)]
    parameters = frozenset(_name(n) for n in IDENTIFIER_RE.findall(header, max(name_pos, 0) + len(name)))
    facts = FunctionFacts(
        name=_name(name),
        static=re.search(rb"\bstatic\b", declaration) is not None,
        start=region_start + max(name_pos, 0) - 1,
        end=tokens[close][1] - 1,
        line=text.count(b"\n", 0, region_start + max(name_pos, 0)),
        parameters=parameters,
    )
    _Walk(text, tokens, body, close, facts).run()
    _follow_transfers(text, tokens, body, close, facts)
    return facts


def _follow_transfers(text: bytes, tokens: list[tuple[int, int]], body: int, close: int, facts: FunctionFacts) -> None:
    """A saved local stored into a field (`server->nofs_flag = nofs_flag;`) hands the scope on through that
    field; a restored local loaded from a field (`nofs_flag = server->nofs_flag;`) restores the field: both
    read as the field itself (cifs_server_lock/cifs_server_unlock)."""
    saved = {e.target_name for e in facts.events if e.step is Step.SAVE and e.target is Target.LOCAL}
    restored = {e.target_name for e in facts.events if e.step is Step.RESTORE and e.target is Target.LOCAL}
    if not saved and not restored:
        return
    values = [_value(text, tokens[i]) for i in range(body + 1, close)]
    stores: dict[str, str] = {}
    loads: dict[str, str] = {}
    for i, value in enumerate(values):
        if value != b"=" or i < 1 or i + 2 >= len(values):
            continue
        before, after = _member_chain(values, i, -1), _member_chain(values, i, 1)
        if after and after[-1] == b";":
            after = after[:-1]
        else:
            continue
        if len(after) == 1 and after[0].decode() in saved and len(before) >= 3 and before[-2] in (b"->", b"."):
            stores[after[0].decode()] = before[-1].decode()
        elif (
            before
            and before[-1].decode() in restored
            and (len(before) == 1 or before[-2] not in (b"->", b"."))  # `int flags =` declares it
            and len(after) >= 3
            and after[-2] in (b"->", b".")
        ):
            loads[before[-1].decode()] = after[-1].decode()
    for event in facts.events:
        moved = stores if event.step is Step.SAVE else loads if event.step is Step.RESTORE else {}
        if event.target is Target.LOCAL and event.target_name in moved:
            event.target, event.target_name = Target.FIELD, moved[event.target_name]


def _member_chain(values: list[bytes], at: int, direction: int) -> list[bytes]:
    """The identifiers and member operators next to `values[at]` in one direction (with the `;` that ends the
    statement going forwards), in source order."""
    chain: list[bytes] = []
    i = at + direction
    while 0 <= i < len(values):
        value = values[i]
        if value in (b"->", b".") or IDENTIFIER_RE.fullmatch(value):
            chain.append(value)
        else:
            if value == b";" and direction > 0:
                chain.append(value)
            break
        i += direction
    return chain if direction > 0 else chain[::-1]


class _Body:
    """A function body's tokens, from its `{` (token `brace`) to its `}` (token `close`), and the ways over them."""

    __slots__ = ("brace", "close", "text", "tokens")

    def __init__(self, text: bytes, tokens: list[tuple[int, int]], brace: int, close: int) -> None:
        self.text, self.tokens, self.brace, self.close = text, tokens, brace, close

    def value(self, index: int) -> bytes:
        return _value(self.text, self.tokens[index])

    def statement_end(self, index: int) -> int:
        """The token index of the `;` ending the statement at `index` (brackets skipped)."""
        depth = 0
        while index < self.close:
            value = _value(self.text, self.tokens[index])
            if value in (b"(", b"{"):
                depth += 1
            elif value in (b")", b"}"):
                depth -= 1
                if depth < 0:
                    return index
            elif value == b";" and depth == 0:
                return index
            index += 1
        return index

    def matching(self, index: int) -> int:
        """The index of the `)` closing the `(` at `index`."""
        depth = 0
        while index < self.close:
            value = _value(self.text, self.tokens[index])
            if value == b"(":
                depth += 1
            elif value == b")":
                depth -= 1
                if depth == 0:
                    return index
            index += 1
        return index

    def mentions(self, name: bytes) -> list[int]:
        """The offset in the file of every token of the body that is `name`."""
        text, tokens = self.text, self.tokens
        return [tokens[i][0] - 1 for i in range(self.brace + 1, self.close) if _value(text, tokens[i]) == name]


def _flag_scope(body: _Body, opening: int, closing: int) -> str | None:
    """The scope memalloc_flags_save(…) between the parentheses at `opening` and `closing` saves, if it names one."""
    names = {body.value(i) for i in range(opening + 1, closing)}
    for flag, scope in _FLAG_SCOPES.items():
        if flag in names:
            return scope
    return None


def _save_target(body: _Body, index: int) -> tuple[Target, str]:
    """Where `x = memalloc_nofs_save()` at token `index` puts its value: the tokens back to the statement's start."""
    back = index - 1
    if body.value(back) == b"return":
        return Target.RETURN, ""
    if body.value(back) != b"=":
        return Target.OTHER, ""
    lvalue: list[bytes] = []
    back -= 1
    while back > body.brace and body.value(back) not in (b";", b"{", b"}", b",", b"(", b")"):
        lvalue.insert(0, body.value(back))
        back -= 1
    if not lvalue:
        return Target.OTHER, ""
    name = lvalue[-1].decode("utf-8", "backslashreplace")
    if len(lvalue) >= 2 and lvalue[-2] in (b"->", b"."):
        return Target.FIELD, name
    if len(lvalue) >= 2 and lvalue[-2] == b"*":
        return Target.OTHER, name
    return Target.LOCAL, name


def _restore_target(body: _Body, opening: int, closing: int, parameters: frozenset[str]) -> tuple[Target, str]:
    """What the restore whose arguments run between the parentheses at `opening` and `closing` restores."""
    values = [body.value(i) for i in range(opening + 1, closing)]
    if not values or not IDENTIFIER_RE.fullmatch(values[-1]):
        return Target.OTHER, ""
    name = values[-1].decode("utf-8", "backslashreplace")
    if len(values) >= 2 and values[-2] in (b"->", b"."):
        return Target.FIELD, name
    if len(values) == 1:
        return (Target.PARAMETER if name in parameters else Target.LOCAL), name
    return Target.OTHER, name


class _Walk:
    """One pass over a function body's tokens, collecting its events."""

    def __init__(self, text: bytes, tokens: list[tuple[int, int]], brace: int, close: int, facts: FunctionFacts):
        self.text, self.tokens, self.close, self.facts = text, tokens, close, facts
        self.body = _Body(text, tokens, brace, close)
        self.line = text.count(b"\n", 0, tokens[brace][0])
        self.counted_to = tokens[brace][0]
        self.blocks: list[int] = []  # the open nested blocks: index of the first event in each
        self.tail = False
        self.tail_after = -1  # token index of the `;` ending the first top-level unconditional return
        self.conditional_until = -1  # token index after a braceless conditional statement

    def line_at(self, pos: int) -> int:
        self.line += self.text.count(b"\n", self.counted_to, pos)
        self.counted_to = pos
        return self.line

    def add(self, event: Event) -> None:
        event.tail = self.tail
        event.conditional = event.conditional or self.conditional_until != -1
        self.facts.events.append(event)

    def run(self) -> None:
        text, tokens = self.text, self.tokens
        index = self.body.brace + 1
        while index < self.close:
            start, end = tokens[index]
            value = text[start:end]
            first = text[start]
            if self.conditional_until != -1 and index >= self.conditional_until and value != b"else":
                self.conditional_until = -1
            if self.tail_after != -1 and index > self.tail_after and not self.tail:
                self.add(Event(Step.TAIL, start - 1, self.line_at(start)))
                self.tail = True
            if value == b"{":
                self.blocks.append(len(self.facts.events))
                self.add(Event(Step.BLOCK, start - 1, self.line_at(start)))
            elif value == b"}":
                self.end_block(start)
            elif value in _CONTROL or value == b"else":
                index = self.control(index, value)
                continue
            elif value in (b"return", b"goto"):
                self.leave(index, value)
            elif first in _WORD_START:
                index = self.word(index, value)
                continue
            index += 1

    def control(self, index: int, value: bytes) -> int:
        """if/for/while/switch (…) or else: a body without braces is a conditional statement."""
        body = self.body
        after = index + 1
        if value != b"else" and after < self.close and body.value(after) == b"(":
            # the condition's own calls are events too; walk them before the body
            closing = body.matching(after)
            self.scan_range(after + 1, closing)
            after = closing + 1
        if after < self.close:
            following = body.value(after)
            if following not in (b"{", b"if") and value != b"switch":
                if value == b"while" and following == b";":  # do { } while (x);
                    return after
                self.conditional_until = body.statement_end(after) + 1
        return after

    def scan_range(self, index: int, stop: int) -> None:
        while index < stop:
            start, end = self.tokens[index]
            if self.text[start] in _WORD_START:
                index = self.word(index, self.text[start:end])
                continue
            index += 1

    def word(self, index: int, value: bytes) -> int:
        """A name: a call, a save or a restore when `(` follows; the index of the token to read next."""
        text, tokens = self.text, self.tokens
        following = index + 1
        previous = _value(text, tokens[index - 1])
        if (
            following >= self.close
            or _value(text, tokens[following]) != b"("
            or value in _NOT_CALLS
            or previous in (b"->", b".")
        ):
            return index + 1
        closing = self.body.matching(following)
        if value in SAVES:
            return self.save(index, value, closing)
        start = tokens[index][0]
        line = self.line_at(start)
        if value in RESTORES:
            target, target_name = _restore_target(self.body, following, closing, self.facts.parameters)
            self.track(target, target_name)
            self.add(Event(Step.RESTORE, start - 1, line, value.decode(), RESTORES[value], target, target_name))
        else:
            name = _name(value)
            self.add(Event(Step.CALL, start - 1, line, name, end=tokens[closing][0] - 1))
        # calls in the arguments come after this one in source order, which is where the reading wants them
        return following + 1

    def save(self, index: int, value: bytes, closing: int) -> int:
        """A save whose arguments close at `closing`; the index of the token to read next."""
        start = self.tokens[index][0]
        line = self.line_at(start)
        scope = SAVES[value] or _flag_scope(self.body, index + 1, closing)
        if scope is None:
            return closing + 1  # memalloc_flags_save() of no scope this reading knows
        target, target_name = _save_target(self.body, index)
        self.track(target, target_name)
        self.add(Event(Step.SAVE, start - 1, line, value.decode(), scope, target, target_name))
        return index + 2

    def track(self, target: Target, name: str) -> None:
        """Every token position where a local save target or restored local is named in this function."""
        if target is Target.LOCAL and name not in self.facts.mentions:
            self.facts.mentions[name] = self.body.mentions(name.encode())

    def leave(self, index: int, value: bytes) -> None:
        """return or goto: an unconditional one makes the events of its block before it an exit path."""
        if self.conditional_until != -1:
            return
        if self.blocks:
            for event in self.facts.events[self.blocks[-1] :]:
                event.exits = True
        elif value == b"return" and self.tail_after == -1:
            # the statement's own calls (return foo();) are still the main path; the tail starts after it
            self.tail_after = self.body.statement_end(index)

    def end_block(self, start: int) -> None:
        if self.blocks:
            self.blocks.pop()
        self.add(Event(Step.END, start - 1, self.line_at(start)))
