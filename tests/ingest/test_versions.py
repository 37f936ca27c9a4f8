import re

from app.lines import Line
from ingest.versions import generic_version, kernel_version, parse_tag


def key(tag: str, pattern: str | None = None) -> str:
    version = parse_tag(tag, re.compile(pattern) if pattern else None)
    assert version is not None, tag
    return version.key


def test_kernel_keys_order_like_versions_not_like_names() -> None:
    tags = ["v2.6.11", "v2.6.39", "v2.6.39.4", "v3.0-rc1", "v3.0", "v4.9", "v4.10-rc1", "v4.10", "v4.10.1",
            "v4.12", "v6.1.9", "v6.1.10", "v6.1.170", "v6.12.107", "v10.0"]  # fmt: skip
    assert sorted(tags, key=key) == tags
    assert sorted(tags) != tags  # the names alone would not do


def test_kernel_lines_and_series() -> None:
    seen = {tag: (v.line, v.series) for tag in ("v6.7", "v6.8-rc3", "v6.1.170", "v2.6.39", "v2.6.39.4", "v2.6.12-rc2")
            if (v := kernel_version(tag))}  # fmt: skip
    assert seen == {
        "v6.7": (Line.MAINLINE, "v6.7"),
        "v6.8-rc3": (Line.RC, "v6.8"),
        "v6.1.170": (Line.STABLE, "v6.1"),
        "v2.6.39": (Line.MAINLINE, "v2.6.39"),
        "v2.6.39.4": (Line.STABLE, "v2.6.39"),
        "v2.6.12-rc2": (Line.RC, "v2.6.12"),
    }
    assert kernel_version("v2.6.11-tree") is None and kernel_version("v6.1.1-rc1") is None


def test_other_schemes_by_their_numbers_with_pre_releases_first() -> None:
    assert sorted(["zfs-2.2.0", "zfs-2.1.14", "zfs-2.2.0-rc1", "zfs-0.8.6"], key=key) == [
        "zfs-0.8.6", "zfs-2.1.14", "zfs-2.2.0-rc1", "zfs-2.2.0"]  # fmt: skip
    assert sorted(["v2_15_0", "v2_9_1", "v2_15_0_rc2"], key=key) == ["v2_9_1", "v2_15_0_rc2", "v2_15_0"]
    assert sorted(["next-20261120", "next-20260105", "next-20251231"], key=key) == [
        "next-20251231", "next-20260105", "next-20261120"]  # fmt: skip
    assert generic_version("latest") is None
    assert parse_tag("zfs-2.2.0-rc1", None).line == Line.RC  # type: ignore[union-attr]


def test_a_named_group_gives_the_version() -> None:
    # without the group, the 9 of "btrfs9" would come first and order these by it
    pattern = r"^btrfs9-(?P<version>\d+\.\d+)$"
    assert sorted(["btrfs9-1.10", "btrfs9-1.9"], key=lambda t: key(t, pattern)) == ["btrfs9-1.9", "btrfs9-1.10"]
    assert parse_tag("btrfs9-1.10", re.compile(pattern)).numbers == (1, 10)  # type: ignore[union-attr]
