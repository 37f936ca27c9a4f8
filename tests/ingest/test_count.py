import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.registry import NAMES, Kind
from ingest.count import Matcher, available_engines

CORPUS = Path(__file__).parent.parent / "data" / "awkward.c"

# (line, identifier, kind, enclosing function) for every occurrence in the corpus, in order.
EXPECTED = [
    (3, "GFP_NOFS", Kind.COMMENT, None),  # a comment spanning lines
    (4, "GFP_NOIO", Kind.COMMENT, None),
    (6, "GFP_NOFS", Kind.DEFINITION, None),  # #define of the identifier itself
    (6, "__GFP_IO", Kind.CODE, None),  # used inside that definition
    (7, "GFP_NOFS", Kind.CODE, None),  # "#  define" with blanks, another macro's body
    (8, "GFP_NOIO", Kind.COMMENT, None),  # comment on a backslash-continued directive line
    (10, "GFP_NOFS", Kind.STRING, None),
    (10, "GFP_NOIO", Kind.STRING, None),  # inside a string with escaped quotes
    (15, "GFP_NOFS", Kind.CODE, "try_alloc"),  # GFP_NOFS | __GFP_NOFAIL
    (15, "GFP_NOFS", Kind.COMMENT, "try_alloc"),  # // comment
    (16, "GFP_NOIO", Kind.STRING, "try_alloc"),
    (16, "GFP_NOFS", Kind.STRING, "try_alloc"),  # after an escaped quote, still in the string
    (19, "GFP_NOFS", Kind.CODE, "try_alloc"),  # #if 0 is still code: the rule is lexical
    (25, "memalloc_nofs_save", Kind.DEFINITION, "memalloc_nofs_save"),  # a function definition
    (27, "memalloc_flags_save", Kind.CODE, "memalloc_nofs_save"),
    (27, "PF_MEMALLOC_NOFS", Kind.CODE, "memalloc_nofs_save"),
    (31, "memalloc_nofs_restore", Kind.COMMENT, None),  # // comment continued by a backslash
    (32, "memalloc_nofs_save", Kind.CODE, "use_after"),  # a call is a use, not a definition
    (32, "memalloc_nofs_restore", Kind.CODE, "use_after"),
    (35, "GFP_NOIO", Kind.CODE, None),  # an initializer is not a function
    (40, "__GFP_FS", Kind.CODE, "SYSCALL_DEFINE1"),
]


def git_grep_w(data: bytes, names: tuple[str, ...]) -> int:
    """What `git grep -o -w` counts: whole-word matches, line by line."""
    pattern = re.compile(
        rb"(?<![A-Za-z0-9_])(?:" + b"|".join(re.escape(n.encode()) for n in names) + rb")(?![A-Za-z0-9_])"
    )
    return sum(len(pattern.findall(line)) for line in data.split(b"\n"))


@pytest.fixture(params=available_engines())
def matcher(request: pytest.FixtureRequest) -> Matcher:
    return Matcher(NAMES, engine=request.param)


def test_corpus_classification(matcher: Matcher) -> None:
    scan = matcher.scan(CORPUS.read_bytes())
    got = [(o.line, o.identifier, o.kind, o.function) for o in scan.occurrences]
    assert got == EXPECTED


def test_corpus_total_equals_git_grep_rule(matcher: Matcher) -> None:
    data = CORPUS.read_bytes()
    assert len(matcher.scan(data).occurrences) == git_grep_w(data, NAMES) == len(EXPECTED)


def test_names_that_merely_contain_a_tracked_name_do_not_count(matcher: Matcher) -> None:
    data = b"int XGFP_NOFS = GFP_NOFSX | __GFP_NOFS | GFP_NOFS_1 | _GFP_NOIO;\n"
    assert matcher.scan(data).occurrences == []


def test_column_line_text_and_bounded_long_lines() -> None:
    long_line = b"x = " + b"a" * 1000 + b" | GFP_NOFS | " + b"b" * 1000 + b";\n"
    scan = Matcher(NAMES, line_max_chars=80).scan(b"first line\n\t" + long_line)
    (occurrence,) = scan.occurrences
    assert occurrence.line == 2
    assert occurrence.col == 1 + 1 + 4 + 1000 + 3  # tab, "x = ", a…, " | "
    assert len(occurrence.text) == 80 and "GFP_NOFS" in occurrence.text


def test_non_utf8_is_counted_as_bytes(matcher: Matcher) -> None:
    data = b"/* caf\xe9 */ int f(void) { return GFP_NOFS; } /* \xff GFP_NOIO */\n"
    scan = matcher.scan(data)
    assert not scan.utf8
    assert [(o.identifier, o.kind) for o in scan.occurrences] == [
        ("GFP_NOFS", Kind.CODE),
        ("GFP_NOIO", Kind.COMMENT),
    ]
    assert "\\xe9" in scan.occurrences[0].text


def test_binary_blob_is_skipped(matcher: Matcher) -> None:
    scan = matcher.scan(b"GFP_NOFS\0binary")
    assert scan.binary and scan.occurrences == []


def test_unterminated_literals_and_comments_end_safely(matcher: Matcher) -> None:
    data = b"#error don't use GFP_NOFS here\nint x = GFP_NOIO;\n/* never closed GFP_NOFS"
    kinds = [(o.line, o.kind) for o in matcher.scan(data).occurrences]
    # the apostrophe opens a char literal that a newline ends, as a C lexer would end it
    assert kinds == [(1, Kind.STRING), (2, Kind.CODE), (3, Kind.COMMENT)]


def test_identifier_on_the_first_line_of_a_file_directive(matcher: Matcher) -> None:
    assert [o.kind for o in matcher.scan(b"#define GFP_NOIO 0x10").occurrences] == [Kind.DEFINITION]


def test_a_name_is_required() -> None:
    with pytest.raises(ValueError):
        Matcher(())
    with pytest.raises(ValueError):
        Matcher(("not-an-identifier",))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                b"GFP_NOFS",
                b"GFP_NOIO",
                b"memalloc_nofs_save",
                b"X",
                b"_",
                b" ",
                b"\n",
                b"/*",
                b"*/",
                b"//",
                b'"',
                b"'",
                b"\\",
                b"#",
                b"#define ",
                b"{",
                b"}",
                b"(",
                b")",
                b";",
                b"=",
                b"\xff",
                b"\r",
            ]
        ),
        max_size=60,
    )
)
def test_any_input_counts_exactly_what_git_grep_counts(parts: list[bytes]) -> None:
    data = b"".join(parts)
    for engine in available_engines():
        scan = Matcher(NAMES, engine=engine).scan(data)
        if not scan.binary:
            assert len(scan.occurrences) == git_grep_w(data, NAMES)
            for o in scan.occurrences:  # each is where it says: its name at its offset, line and column
                assert data[o.offset : o.offset + len(o.identifier)] == o.identifier.encode()
                assert (data.count(b"\n", 0, o.offset) + 1, o.offset - data.rfind(b"\n", 0, o.offset)) == (
                    o.line,
                    o.col,
                )


def test_word_finder_finds_whole_words_only_as_git_grep_w_does() -> None:
    from ingest.count import word_finder

    find = word_finder(("xfs_trans_alloc", "alloc"))
    data = b"xfs_trans_alloc(tp); xfs_trans_alloc_empty(); alloc; realloc(alloc)\n_alloc alloc_"
    assert find(data) == [(0, b"xfs_trans_alloc"), (46, b"alloc"), (61, b"alloc")]
