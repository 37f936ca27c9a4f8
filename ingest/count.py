"""Find tracked identifiers in C source and classify each occurrence lexically. Pure: bytes in, facts out.

The rules, in the order a reader of a count needs them:
- a match is a whole word exactly as `git grep -w` sees one: not preceded or followed by [A-Za-z0-9_];
- an occurrence inside /* */ or // (with backslash continuations) is a comment, inside "…" or '…'
  (ending at an unescaped newline, as a C lexer ends an unterminated literal) a string;
- the name right after `#define` and the name of a function definition are definitions;
- everything else is code, including text in `#if 0` blocks: the rule is lexical, not preprocessed.
The enclosing function is tracked by brace depth outside preprocessor lines; a `}` in column 0 ends any
function, which keeps kernel-style code in step even when #ifdef branches unbalance the braces.
"""

import re
from dataclasses import dataclass, field
from typing import Final, cast

from app.registry import Kind
from ingest.ctokens import (
    COMMENTS_AND_LITERALS,
    DIRECTIVE_HEAD,
    DIRECTIVE_LINE,
    IDENTIFIER_RE,
    logical_line_end,
    scanner,
)

try:
    import hyperscan
except ImportError:  # platforms without a wheel fall back to the standard library
    HYPERSCAN = False
else:
    HYPERSCAN = True

WORD_CHARS_BYTES: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
BINARY_PROBE_BYTES: Final = 8000  # git's buffer_is_binary() looks for NUL in this many leading bytes

# Names that can precede "(" at file scope without being the function being defined.
NOT_FUNCTION_NAMES: Final = frozenset(
    b"""__attribute__ __attribute __declspec __printf __scanf __aligned __section __acquires __releases
    __must_hold __cond_acquires __alloc_size __malloc __counted_by __free __diag_ignore __nocfi
    __no_sanitize_address __weak __visible typeof __typeof__ __typeof sizeof alignof _Alignof _Alignas
    _Static_assert static_assert if for while switch return do else int char long short unsigned signed
    void float double bool _Bool struct union enum const volatile static inline extern register
    __asm__ asm __asm __builtin_offsetof offsetof""".split()
)

# Tokens that matter everywhere: comments and literals, directives (read to their end by logical_line_end,
# their comments and literals still read as such), braces. Every alternative starts with a literal byte, so the
# regex engine skips the bytes between tokens quickly (ingest/ctokens.py).
_TOKEN: Final = scanner(*COMMENTS_AND_LITERALS, DIRECTIVE_HEAD, rb"\{|\}")
# Tokens of file-scope text between two blocks, read only to tell a function definition from the rest.
_DECLARATION_TOKEN: Final = scanner(*COMMENTS_AND_LITERALS, DIRECTIVE_LINE, rb"\(|\)|;|=")
_BLANKS: Final = frozenset(b" \t\r\n")
_COMMENT_OR_LITERAL: Final = frozenset(b"/\"'")
_WORD_BYTES: Final = frozenset(WORD_CHARS_BYTES)


@dataclass(frozen=True, slots=True)
class Occurrence:
    identifier: str
    kind: Kind
    line: int
    col: int
    function: str | None
    text: str
    offset: int  # byte offset of the match in the blob: what ingest/context.py reads from


@dataclass(slots=True)
class BlobScan:
    binary: bool = False
    utf8: bool = True
    occurrences: list[Occurrence] = field(default_factory=list)


@dataclass(slots=True)
class _Hit:
    pos: int
    name: bytes
    kind: Kind = Kind.CODE
    function: bytes | None = None


class _RegexHits:
    """Whole-word matches with the standard library: a substring test first, then one regex."""

    def __init__(self, needles: tuple[bytes, ...]) -> None:
        self._needles = needles
        self._regex = re.compile(b"|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))

    def __call__(self, view: memoryview | bytes) -> list[tuple[int, bytes]]:
        data = bytes(view)
        if not any(needle in data for needle in self._needles):
            return []
        hits = []
        for match in self._regex.finditer(data):
            start, end = match.span()
            # A failed boundary check cannot hide a valid match: the text it covers is all word bytes.
            if (start and data[start - 1] in _WORD_BYTES) or (end < len(data) and data[end] in _WORD_BYTES):
                continue
            hits.append((start, match.group()))
        return hits


class _HyperscanHits:
    """Whole-word matches of all identifiers in one SIMD pass: about ten times the speed of _RegexHits.

    The counts' few names compile as `\\b` patterns; with `literal`, names compile as literals and the word
    boundary is checked on each match, for the thousands of names a scope round asks about (3,000 compile in a
    tenth of a second, where `\\b` patterns take ten)."""

    def __init__(self, needles: tuple[bytes, ...], literal: bool = False) -> None:
        self._needles = needles
        self._literal = literal
        self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        # \b is ASCII [A-Za-z0-9_] here: exactly git grep -w for names that start and end with word bytes.
        expressions = list(needles) if literal else [rb"\b" + re.escape(n) + rb"\b" for n in needles]
        ids, flags = list(range(len(needles))), [0] * len(needles)
        self._db.compile(expressions=expressions, ids=ids, flags=flags, literal=literal)
        self._scratch = hyperscan.Scratch(self._db)

    def __call__(self, data: memoryview | bytes) -> list[tuple[int, bytes]]:
        hits: list[tuple[int, bytes]] = []
        size, literal = len(data), self._literal

        def on_match(index: int, _start: int, end: int, _flags: int, _context: object) -> None:
            needle = self._needles[index]
            start = end - len(needle)
            if literal and ((start and data[start - 1] in _WORD_BYTES) or (end < size and data[end] in _WORD_BYTES)):
                return
            hits.append((start, needle))

        # hyperscan scans any buffer (a blob's memoryview is not copied); its stub says str or bytes
        self._db.scan(cast(bytes, data), match_event_handler=on_match, scratch=self._scratch)
        hits.sort()
        return hits


def word_finder(names: tuple[str, ...]) -> "_HyperscanHits | _RegexHits":
    """Whole-word matches of `names` in a buffer, as (offset, name) in order: the counts' matching rule."""
    needles = tuple(name.encode() for name in names)
    return _HyperscanHits(needles, literal=True) if HYPERSCAN else _RegexHits(needles)


def available_engines() -> tuple[str, ...]:
    return ("hyperscan", "regex") if HYPERSCAN else ("regex",)


class Matcher:
    """Compiled once per identifier set and process; `scan` is the whole counting rule for one blob."""

    def __init__(self, names: tuple[str, ...], line_max_chars: int = 240, engine: str | None = None) -> None:
        if not names:
            raise ValueError("no identifiers to count")
        for name in names:
            if not IDENTIFIER_RE.fullmatch(name.encode()):
                raise ValueError(f"{name!r} is not a C identifier")
        self.names = names
        self.line_max_chars = line_max_chars
        self.engine = engine or available_engines()[0]
        needles = tuple(name.encode() for name in names)
        self._find = _HyperscanHits(needles) if self.engine == "hyperscan" else _RegexHits(needles)

    def scan(self, view: memoryview | bytes) -> BlobScan:
        """Count one blob; `view` may be a buffer that the caller reuses after this returns."""
        if b"\0" in bytes(view[:BINARY_PROBE_BYTES]):
            return BlobScan(binary=True)
        found = self._find(view)
        if not found:
            return BlobScan()
        data = bytes(view)
        # A leading newline lets one token rule find directives on the first line, and makes
        # "newlines before an offset" the 1-based line number.
        text = b"\n" + data
        hits = [_Hit(pos + 1, name) for pos, name in found]
        _classify(text, hits)
        try:
            data.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        return BlobScan(utf8=utf8, occurrences=self._occurrences(text, hits))

    def code_by_function(self, data: bytes) -> tuple[dict[str, dict[str | None, int]], frozenset[str]]:
        """Code occurrences per identifier and enclosing function (None: file scope), and the functions the
        blob defines: what the change split reads, in one pass of the lexer."""
        if b"\0" in data[:BINARY_PROBE_BYTES]:
            return {}, frozenset()
        hits = [_Hit(pos + 1, name) for pos, name in self._find(data)]
        defined: list[bytes] = []
        _classify(b"\n" + data, hits, defined)
        counts: dict[str, dict[str | None, int]] = {}
        for hit in hits:
            if hit.kind is Kind.CODE:
                places = counts.setdefault(hit.name.decode(), {})
                function = hit.function.decode("utf-8", "backslashreplace") if hit.function else None
                places[function] = places.get(function, 0) + 1
        return counts, frozenset(name.decode("utf-8", "backslashreplace") for name in defined)

    def _occurrences(self, text: bytes, hits: list[_Hit]) -> list[Occurrence]:
        result = []
        line, counted_to = 0, 0
        for hit in hits:
            line += text.count(b"\n", counted_to, hit.pos)
            counted_to = hit.pos
            start = text.rfind(b"\n", 0, hit.pos) + 1
            end = text.find(b"\n", hit.pos)
            end = len(text) if end < 0 else end
            result.append(
                Occurrence(
                    identifier=hit.name.decode(),
                    kind=hit.kind,
                    line=line,
                    col=hit.pos - start + 1,
                    function=hit.function.decode("utf-8", "backslashreplace") if hit.function else None,
                    text=bounded_line(text[start:end].rstrip(b"\r"), hit.pos - start, self.line_max_chars),
                    offset=hit.pos - 1,  # `text` has a newline in front of the blob
                )
            )
        return result


def bounded_line(line: bytes, col: int, limit: int) -> str:
    """The line, or a window of it around the match when it is too long to store whole."""
    if len(line) > limit:
        lo = max(0, min(col - limit // 2, len(line) - limit))
        line = line[lo : lo + limit]
    return line.decode("utf-8", "backslashreplace")


def _name_before(text: bytes, lo: int, pos: int) -> tuple[bytes, int] | None:
    """The identifier that ends just before `pos` (blanks allowed in between), and where it starts."""
    end = pos
    while end > lo and text[end - 1] in _BLANKS:
        end -= 1
    start = end
    while start > lo and text[start - 1] in _WORD_BYTES:
        start -= 1
    if start == end or text[start] in b"0123456789":
        return None
    return text[start:end], start


def _function_defined(text: bytes, lo: int, hi: int, hits_by_pos: dict[int, _Hit]) -> bytes | None:
    """The name of the function whose body opens at `hi`, given the file-scope text since `lo`; else None.

    The first `name(` of the last declaration (after the last top-level `;`) names the function,
    skipping attributes and keywords; a top-level `=` makes it an initializer instead.
    """
    candidate: tuple[bytes, int] | None = None
    assigned = False
    parens = 0
    for match in _DECLARATION_TOKEN.finditer(text, lo, hi):
        start = match.start()
        char = text[start]
        if char == 0x28:  # (
            if parens == 0 and candidate is None and not assigned:
                found = _name_before(text, lo, start)
                if found is not None and found[0] not in NOT_FUNCTION_NAMES:
                    candidate = found
            parens += 1
        elif char == 0x29:  # )
            parens = max(0, parens - 1)
        elif parens == 0 and char == 0x3B:  # ;
            candidate, assigned = None, False
        elif parens == 0 and char == 0x3D:  # =
            assigned = True
    if candidate is None or assigned or parens:
        return None
    name, name_pos = candidate
    hit = hits_by_pos.get(name_pos)
    if hit is not None:
        hit.kind, hit.function = Kind.DEFINITION, name
    return name


def defined_function_name(text: bytes, lo: int, hi: int) -> bytes | None:
    """The name of the function whose body opens at `hi` of `text` (a blob with a newline in front), given the
    file-scope text since `lo`; else None. The rule the counts use, for the scope reader (ingest/scopes/facts.py)."""
    return _function_defined(text, lo, hi, {})


def _classify(text: bytes, hits: list[_Hit], defined: list[bytes] | None = None) -> None:
    """Set kind and enclosing function of every hit, walking the tokens once; with `defined`, also collect
    the name of every function defined (which reads the whole blob instead of stopping after the last hit)."""
    hits_by_pos = {hit.pos: hit for hit in hits}
    index = 0
    depth = 0
    function: bytes | None = None
    region_start = 0  # where the file-scope text before the next top-level block starts
    directive_end = -1
    define_pos = -1
    count = len(hits)
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        if index < count and hits[index].pos < end:
            index = _settle(text, hits, index, start, end, function, define_pos)
        elif index == count and depth and defined is None:
            break  # every hit is settled, and inside a block no pending definition can change
        first = text[start]
        if first == 0x0A or start < directive_end:  # a directive, or a token on one
            directive_end, define_pos = _directive(text, match, directive_end, define_pos)
        elif first in _COMMENT_OR_LITERAL:
            continue  # its hits are settled
        elif first == 0x7B:  # {
            if depth == 0:
                function = _block_opened(text, region_start, start, hits_by_pos, defined)
            depth += 1
        elif depth <= 1 or text[start - 1] == 0x0A:  # } closing a top-level block, or in column 0
            depth, function, region_start = 0, None, end
        else:
            depth -= 1
    _settle(text, hits, index, len(text), len(text), function, define_pos)


def _settle(
    text: bytes, hits: list[_Hit], index: int, start: int, end: int, function: bytes | None, define_pos: int
) -> int:
    """Settle the hits from `index` up to the token at `start`..`end`: those before it are code in `function`
    (the name a directive defines at `define_pos` a definition), those in it a comment or string when it is one.
    The index of the first hit left."""
    count = len(hits)
    while index < count and hits[index].pos < start:
        hit = hits[index]
        if hit.pos == define_pos:
            hit.kind = Kind.DEFINITION
        hit.function = hit.function or function
        index += 1
    first = text[start : start + 1]
    if first and first[0] in _COMMENT_OR_LITERAL:
        lexical = Kind.STRING if first != b"/" else Kind.COMMENT
        while index < count and hits[index].pos < end:
            hits[index].kind, hits[index].function = lexical, function
            index += 1
    return index


def _directive(text: bytes, token: re.Match[bytes], directive_end: int, define_pos: int) -> tuple[int, int]:
    """Where the preprocessor line ends and where the name it #defines is (-1: none), after `token`: a directive's
    start, or a token on the line, whose comment or literal may carry it over the lines it runs to."""
    start, end = token.span()
    if text[start] == 0x0A:  # a directive, which may run over backslash-continued lines
        name, arg = token.group(1), token.group(2)
        return logical_line_end(text, end), token.start(2) if name == b"define" and arg else -1
    if end > directive_end and text[start] in _COMMENT_OR_LITERAL:
        return logical_line_end(text, end), define_pos
    return directive_end, define_pos  # a brace on a preprocessor line opens or closes no block


def _block_opened(
    text: bytes, region_start: int, start: int, hits_by_pos: dict[int, _Hit], defined: list[bytes] | None
) -> bytes | None:
    """The function whose body the top-level block at `start` is, if it is one; its name joins `defined`."""
    function = _function_defined(text, region_start, start, hits_by_pos)
    if defined is not None and function is not None:
        defined.append(function)
    return function
