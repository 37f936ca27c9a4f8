"""The tokens of C every scanner here reads alike: named patterns, and the one way to compile a scanner of them.

Each scanner (the counts' classifier and its declaration reader in ingest/count.py, the occurrence context's
statement lexer in ingest/context.py, the scope reader's lexer in ingest/scopes/facts.py) composes its own
alternation of these pieces, in its own order and with its own extra tokens; tests/ingest/test_ctokens.py holds
them to the same answer on awkward C (tests/data/lexer/). The rules, lexical and never preprocessed:
- a block comment runs to the first `*/`, or to the end of the file when it is never closed;
- a line comment runs to the end of the line, continued by backslash-newline;
- a string or character literal ends at its closing quote, or at a bare newline (as a C lexer ends an
  unterminated one); a backslash escapes the byte after it, a newline included;
- a preprocessor line starts with `#` after blanks at the start of a line, and runs over backslash-continued
  lines. Its pattern starts with the newline before it: a scanner reads `b"\\n" + blob`, so the first line is
  a line like the others and offsets are one more than the blob's.
One difference is known, and tested as such: the counts read a preprocessor line's comments and literals, and
a comment opened on the line runs on to its end; the scanners that pass over whole preprocessor lines stop at
the line's end and read the rest of that comment as code.

Every piece is a bare alternation, and each alternative starts with a literal byte where one can: joined by
`|`, the scanner's top-level alternatives then start with literals, and the regex engine skips the bytes no
token starts with without trying each alternative there (a group in front, named or not, would defeat that).
"""

import re
from typing import Final

# A block comment, or one never closed: the file's end closes it.
BLOCK_COMMENT: Final = rb"/\*[^*]*\*+(?:[^/*][^*]*\*+)*/|/\*.*"
# A line comment, continued by backslash-newline.
LINE_COMMENT: Final = rb"//[^\n\\]*(?:\\.[^\n\\]*)*"
STRING: Final = rb'"[^"\\\n]*(?:\\.[^"\\\n]*)*"?'
CHARACTER: Final = rb"'[^'\\\n]*(?:\\.[^'\\\n]*)*'?"
# What every scanner skips or reads as one operand, whatever else it reads.
COMMENTS_AND_LITERALS: Final = (BLOCK_COMMENT, LINE_COMMENT, STRING, CHARACTER)

# A whole preprocessor line with its continuations: what a scanner that skips directives skips.
DIRECTIVE_LINE: Final = rb"\n[ \t]*\#[^\n\\]*(?:\\.[^\n\\]*)*"
# Only a directive's start, its name (group 1) and first argument (group 2): for a scanner that reads the
# comments and literals of a directive as such, and ends the directive itself (logical_line_end).
DIRECTIVE_HEAD: Final = rb"\n[ \t]*\#[ \t]*([A-Za-z_]*)[ \t]*([A-Za-z_][A-Za-z0-9_]*)?"

IDENTIFIER: Final = rb"[A-Za-z_][A-Za-z0-9_]*"
# A preprocessing number: digits, letters, `_`, `.`, and a sign after e, E, p or P (1e-5, 0x1p+3).
PP_NUMBER: Final = rb"\.?[0-9](?:[eEpP][-+]|[A-Za-z0-9_.])*"
# A `*/` outside a comment: what tells a scanner that started reading in the middle of a comment.
COMMENT_END: Final = rb"\*/"
# The punctuators of more than one byte, longest first where one is the start of another.
PUNCTUATOR: Final = rb"->|<<=|>>=|\.\.\.|[-+*/%&|^!=<>]=|&&|\|\||<<|>>|\+\+|--"

IDENTIFIER_RE: Final = re.compile(IDENTIFIER)


def scanner(*pieces: bytes) -> re.Pattern[bytes]:
    """The compiled alternation of `pieces`, in the order given: the first alternative that matches wins.

    DOTALL always: a backslash escapes a newline too, and a never-closed comment runs to the end of the file.
    """
    return re.compile(b"|".join(pieces), re.S)


def logical_line_start(text: bytes, pos: int) -> int:
    """Where the line holding `pos` starts, following backslash continuations back (CRLF ones too)."""
    start = text.rfind(b"\n", 0, pos) + 1
    while start >= 2 and (text[start - 2] == 0x5C or text[start - 3 : start - 1] == b"\\\r"):
        start = text.rfind(b"\n", 0, start - 1) + 1
    return start


def logical_line_end(text: bytes, pos: int) -> int:
    """Where the line holding `pos` ends, following backslash continuations (CRLF ones too): the offset of
    the newline that ends it, or the end of `text`."""
    while True:
        end = text.find(b"\n", pos)
        if end < 0:
            return len(text)
        if text[end - 1 : end] == b"\\" or text[end - 2 : end] == b"\\\r":
            pos = end + 1
            continue
        return end
