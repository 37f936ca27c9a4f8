import pytest

from app.lines import Line, Scheme
from ingest.errors import IngestError
from ingest.tags import TagSelection, scheme_of, select_tags

TAGS = [
    "v4.10",
    "v4.9",
    "v4.12-rc1",
    "v4.12",
    "v4.9.300",
    "v6.1.170",
    "v6.7",
    "v6.7-rc8",
    "latest",
    "v2.6.11-tree",
    "v2.6.39",
    "v2.6.39.4",
]


def names(selection: TagSelection, tags: list[str] = TAGS) -> list[str]:
    return [tag.name for tag in select_tags(tags, selection)]


def test_mainline_releases_by_default_in_version_order() -> None:
    assert names(TagSelection()) == ["v2.6.39", "v4.9", "v4.10", "v4.12", "v6.7"]


def test_rc_and_stable_only_when_asked() -> None:
    assert names(TagSelection(include_rc=True)) == [
        "v2.6.39",
        "v4.9",
        "v4.10",
        "v4.12-rc1",
        "v4.12",
        "v6.7-rc8",
        "v6.7",
    ]
    assert names(TagSelection(include_stable=True)) == [
        "v2.6.39", "v2.6.39.4", "v4.9", "v4.9.300", "v4.10", "v4.12", "v6.1.170", "v6.7"]  # fmt: skip


def test_since_and_until_are_inclusive_versions() -> None:
    assert names(TagSelection(include_stable=True, since="v4.10", until="v6.1.170")) == ["v4.10", "v4.12", "v6.1.170"]


def test_custom_pattern_narrows_the_kernel_lines() -> None:
    assert names(TagSelection(pattern=r"^v6\.", include_stable=True)) == ["v6.1.170", "v6.7"]


def test_other_tag_schemes_need_only_the_pattern() -> None:
    zfs = ["zfs-2.2.0", "zfs-2.1.14", "zfs-2.2.0-rc1", "zfs-0.8.6", "v6.7"]
    assert names(TagSelection(pattern=r"^zfs-"), zfs) == ["zfs-0.8.6", "zfs-2.1.14", "zfs-2.2.0"]
    assert names(TagSelection(pattern=r"^zfs-", include_rc=True), zfs)[-2:] == ["zfs-2.2.0-rc1", "zfs-2.2.0"]
    assert names(TagSelection(pattern=r"^v\d+_\d+_\d+$"), ["v2_15_0", "v2_9_1"]) == ["v2_9_1", "v2_15_0"]
    next_tags = ["next-20261120", "next-20260105", "v6.7"]
    assert names(TagSelection(pattern=r"^next-\d{8}$"), next_tags) == ["next-20260105", "next-20261120"]


def test_a_stable_only_history_is_told_to_add_stable() -> None:
    with pytest.raises(IngestError, match=r"2 tag\(s\) match, but 2 are stable releases: add --stable"):
        names(TagSelection(), ["v6.1.170", "v6.12.117", "debian/6.1"])


def test_tags_without_a_number_say_so() -> None:
    with pytest.raises(IngestError, match=r"2 tag\(s\) match, but 2 matching tag\(s\) hold no number"):
        names(TagSelection(pattern=r"^release-"), ["release-alpha", "release-omega", "v6.7"])


def test_bad_bounds_and_patterns_are_clear_errors() -> None:
    with pytest.raises(IngestError, match="not a version"):
        names(TagSelection(since="yesterday"))
    with pytest.raises(IngestError, match="not a regular expression"):
        names(TagSelection(pattern="v(("))
    with pytest.raises(IngestError, match="no release tag matches"):
        names(TagSelection(pattern="^nothing$"))


# bcachefs-tools' tags as its repository has them: X.Y.0, X.Y.1, … and one two-number tag
BCACHEFS_TOOLS = ["v1.4.0", "v1.4.1", "v1.6", "v1.6.1", "v1.38.3", "v1.38.4", "v1.39.0", "v1.39.2", "v1.9.0"]


def test_a_flat_scheme_is_guessed_from_an_x_y_0_tag_and_is_one_line() -> None:
    choice = scheme_of(BCACHEFS_TOOLS, TagSelection())
    assert choice.scheme == Scheme.FLAT and "v1.4.0 is X.Y.0" in choice.rule
    selected = select_tags(BCACHEFS_TOOLS, TagSelection(), choice.scheme)  # no --stable needed: one line
    assert [t.name for t in selected] == [
        "v1.4.0", "v1.4.1", "v1.6", "v1.6.1", "v1.9.0", "v1.38.3", "v1.38.4", "v1.39.0", "v1.39.2"
    ]  # fmt: skip
    assert {(t.version.line, t.version.series) for t in selected} == {(Line.MAINLINE, "")}
    assert [t.name for t in select_tags(BCACHEFS_TOOLS, TagSelection())] == [t.name for t in selected]  # guessed


def test_kernel_tags_keep_the_kernels_lines() -> None:
    assert scheme_of(TAGS, TagSelection()).scheme == Scheme.KERNEL
    # distribution kernels: stable releases only, no X.Y.0 among them
    assert scheme_of(["v6.1.170", "v6.12.117"], TagSelection(include_stable=True)).scheme == Scheme.KERNEL


def test_tags_of_no_kernel_shape_are_flat_and_lines_overrides_the_guess() -> None:
    assert scheme_of(["zfs-2.2.0", "zfs-2.2.1"], TagSelection(pattern="^zfs-")).scheme == Scheme.FLAT
    chosen = scheme_of(BCACHEFS_TOOLS, TagSelection(scheme=Scheme.KERNEL))
    assert chosen.scheme == Scheme.KERNEL and "--lines kernel" in chosen.rule
    # the kernel's lines on bcachefs-tools: one mainline release, the rest stable (what nofs drew before)
    assert names(TagSelection(scheme=Scheme.KERNEL), BCACHEFS_TOOLS) == ["v1.6"]
    # a tag the pattern leaves out does not decide: only release tags are looked at
    assert scheme_of([*TAGS, "v1.0.0-tree"], TagSelection()).scheme == Scheme.KERNEL
    assert scheme_of([*TAGS, "v9.9.0"], TagSelection(pattern=r"^v\d+\.\d+$")).scheme == Scheme.KERNEL


def test_since_and_until_are_read_in_the_scheme() -> None:
    selected = select_tags(BCACHEFS_TOOLS, TagSelection(since="v1.38.4", until="v1.39.0"))
    assert [t.name for t in selected] == ["v1.38.4", "v1.39.0"]
