import pytest

from ingest.errors import IngestError
from ingest.tags import TagSelection, select_tags

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
]


def names(selection: TagSelection) -> list[str]:
    return [name for name, _ in select_tags(TAGS, selection)]


def test_finals_and_stables_in_version_order_without_rc() -> None:
    assert names(TagSelection()) == ["v4.9", "v4.9.300", "v4.10", "v4.12", "v6.1.170", "v6.7"]


def test_rc_tags_only_when_asked_and_before_their_final() -> None:
    assert names(TagSelection(include_rc=True)) == [
        "v4.9",
        "v4.9.300",
        "v4.10",
        "v4.12-rc1",
        "v4.12",
        "v6.1.170",
        "v6.7-rc8",
        "v6.7",
    ]


def test_since_and_until_are_inclusive_versions() -> None:
    assert names(TagSelection(since="v4.10", until="v6.1.170")) == ["v4.10", "v4.12", "v6.1.170"]


def test_custom_pattern() -> None:
    assert names(TagSelection(pattern=r"^v6\.")) == ["v6.1.170", "v6.7"]


def test_bad_bounds_and_patterns_are_clear_errors() -> None:
    with pytest.raises(IngestError, match="not a version tag"):
        names(TagSelection(since="yesterday"))
    with pytest.raises(IngestError, match="not a regular expression"):
        names(TagSelection(pattern="v(("))
