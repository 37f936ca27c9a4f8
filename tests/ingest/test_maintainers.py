import re
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.maintainers import THE_REST, Section, SectionIndex, _file_pattern, parse_maintainers

MAINTAINERS = """\
List of maintainers
===================

	M: *Mail* patches to: FullName <address@domain>
	F: *Files* and directories (this preamble is not a section)

Maintainers List
----------------

BTRFS FILE SYSTEM
M:	Chris Mason <clm@fb.com>
M:	David Sterba <dsterba@suse.com>
L:	linux-btrfs@vger.kernel.org
S:	Maintained
F:	fs/btrfs/
F:	include/uapi/linux/btrfs*

BTRFS INODE CORNER
M:	Someone <someone@example.org>
S:	Odd Fixes
F:	fs/btrfs/inode.c

FILESYSTEMS (VFS and infrastructure)
M:	Alexander Viro <viro@zeniv.linux.org.uk>
L:	linux-fsdevel@vger.kernel.org
S:	Maintained
F:	fs/*
F:	include/linux/fs.h
X:	fs/ext4/

EXT4 FILE SYSTEM
M:	Theodore Ts'o <tytso@mit.edu>
S:	Maintained
F:	fs/ext4

DRIVERS BY NAME
S:	Supported
N:	tegra
X:	drivers/gpu/

MEMORY MANAGEMENT
M:	Andrew Morton <akpm@linux-foundation.org>
S:	Maintained
F:	include/linux/gfp.h
F:	mm/

MEMORY MANAGEMENT - GFP
S:	Maintained
F:	include/linux/gfp.h

THE REST
M:	Linus Torvalds <torvalds@linux-foundation.org>
L:	linux-kernel@vger.kernel.org
S:	Buried alive in reporters
F:	*
F:	*/
"""

DIRECTORIES = {"fs", "fs/btrfs", "fs/ext4", "mm", "drivers", "drivers/gpu", "include", "include/linux"}


def section(path: str) -> str | None:
    found = SectionIndex(parse_maintainers(MAINTAINERS)).section_for(path, DIRECTORIES.__contains__)
    return found.name if found else None


def test_sections_keep_title_status_maintainers_lists_and_patterns() -> None:
    sections = {s.name: s for s in parse_maintainers(MAINTAINERS)}
    assert "List of maintainers" not in sections and "Maintainers List" not in sections
    btrfs = sections["BTRFS FILE SYSTEM"]
    assert btrfs.status == "Maintained"
    assert btrfs.maintainers == ["Chris Mason <clm@fb.com>", "David Sterba <dsterba@suse.com>"]
    assert btrfs.lists == ["linux-btrfs@vger.kernel.org"]
    assert btrfs.patterns == {"F": ["fs/btrfs/", "include/uapi/linux/btrfs*"], "X": [], "N": []}
    assert [s.position for s in parse_maintainers(MAINTAINERS)] == list(range(len(sections)))


def test_trailing_slash_matches_everything_below() -> None:
    assert section("fs/btrfs/tree-log.c") == "BTRFS FILE SYSTEM"
    assert section("fs/btrfs/tests/extent-io-tests.c") == "BTRFS FILE SYSTEM"


def test_glob_matches_within_its_own_depth_only() -> None:
    assert section("include/uapi/linux/btrfs_tree.h") == "BTRFS FILE SYSTEM"
    assert section("fs/namei.c") == "FILESYSTEMS (VFS and infrastructure)"  # fs/* : one level


def test_the_most_specific_pattern_wins() -> None:
    assert section("fs/btrfs/inode.c") == "BTRFS INODE CORNER"  # a file beats its directory


def test_ties_go_to_the_section_that_comes_first() -> None:
    assert section("include/linux/gfp.h") == "MEMORY MANAGEMENT"


def test_plain_path_of_a_directory_matches_below_it_like_get_maintainer_pl() -> None:
    assert section("fs/ext4/inode.c") == "EXT4 FILE SYSTEM"


def test_plain_path_that_is_not_a_directory_matches_same_depth_prefix() -> None:
    index = SectionIndex(parse_maintainers("EXT4\nF:\tfs/ext4\n"))
    assert index.section_for("fs/ext4.c", lambda _path: False) is not None
    assert index.section_for("fs/ext4.c", lambda path: path == "fs/ext4") is None


def test_exclude_removes_a_section_for_matching_files() -> None:
    # fs/* would match fs/ext4/… only at one level anyway; X: also stops the N: section below
    assert section("drivers/gpu/host1x/tegra.c") == THE_REST
    assert section("drivers/soc/tegra/fuse.c") == "DRIVERS BY NAME"


def test_n_regex_matches_anywhere_and_beats_the_rest() -> None:
    assert section("arch/arm/mach-tegra/board.c") == "DRIVERS BY NAME"


def test_files_matched_by_nothing_more_specific_belong_to_the_rest() -> None:
    assert section("init/main.c") == THE_REST
    assert section("Makefile") == THE_REST


def test_no_section_at_all_without_the_rest() -> None:
    assert SectionIndex(parse_maintainers("ONLY MM\nF:\tmm/\n")).section_for("init/main.c", bool) is None


def test_bad_n_regex_is_skipped_not_fatal() -> None:
    index = SectionIndex(parse_maintainers("BROKEN\nN:\t(unclosed\n\nGOOD\nF:\tmm/\n"))
    assert index.section_for("mm/slab.c", bool).name == "GOOD"  # type: ignore[union-attr]


LINE = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda tag, value: f"{tag}:\t{value}",
        st.sampled_from("FXNMRLST"),
        st.text(alphabet="abc/*?.[]()+\\^$|{} -_", max_size=20),
    ),
)
PATH = st.lists(st.text(alphabet="abc.-_", min_size=1, max_size=6), min_size=1, max_size=5).map("/".join)


def _every_section_scored(sections: list[Section], path: str, is_dir: Callable[[str], bool]) -> int | None:
    """The module's rule read plainly, every section and pattern tried in turn (no index, no buckets, no memory):
    the best F: depth, or 0 for an N: match where no F: scored, excludes ruling a section out, ties to the first."""
    slashes, best = path.count("/"), None
    for section in sections:
        patterns = [_file_pattern(section.position, value)[1] for value in section.files]
        score = max((p.depth for p in patterns if p.matches(path, slashes, is_dir)), default=-2)
        if score < 0 and any(_searches(regex, path) for regex in section.regexes):
            score = 0
        excluded = any(_file_pattern(section.position, x)[1].matches(path, slashes, is_dir) for x in section.excludes)
        if score > -2 and not excluded and (best is None or score > best[0]):
            best = (score, section.position)
    return best[1] if best else None


def _searches(regex: str, path: str) -> bool:
    try:
        return re.compile(regex, re.X).search(path) is not None
    except re.error:  # the index skips an unusable N: too
        return False


@settings(max_examples=300, deadline=1000)
@given(st.lists(LINE, max_size=40), st.lists(PATH, max_size=10))
def test_any_maintainers_text_parses_and_matches_without_crashing(lines: list[str], paths: list[str]) -> None:
    sections = parse_maintainers("\n".join(lines))
    index = SectionIndex(sections)
    is_dir = lambda directory: directory.count("/") < 2  # noqa: E731
    for path in [*paths, *paths]:  # asked again: the index's memory of tree-free answers holds too
        found = index.section_for(path, is_dir)
        assert (found.position if found else None) == _every_section_scored(sections, path, is_dir)
