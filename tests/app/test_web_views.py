"""Web views derived from a repository's remote: the shapes of the forges nofs knows, and none otherwise."""

import pytest

from app.links import commit_url, source_links
from app.queries.releases import ReleaseRef
from app.web_views import KERNEL, from_remote
from tests.kernel_like import TORVALDS

OID = "f5cb971b0d1a4e4c0e41e1a5a8a1b0c9d8e7f6a5"


def _release(tag: str, line: str = "mainline") -> ReleaseRef:
    from datetime import UTC, datetime

    return ReleaseRef(1, tag, OID, datetime(2026, 1, 1, tzinfo=UTC), line, "")


@pytest.mark.parametrize(
    ("remote", "commit", "source"),
    [
        (
            "https://github.com/koverstreet/bcachefs-tools.git",
            f"https://github.com/koverstreet/bcachefs-tools/commit/{OID}",
            "https://github.com/koverstreet/bcachefs-tools/blob/v1.39.0/fs/data/compress.c#L7",
        ),
        (
            "git@github.com:openzfs/zfs.git",
            f"https://github.com/openzfs/zfs/commit/{OID}",
            "https://github.com/openzfs/zfs/blob/v1.39.0/fs/data/compress.c#L7",
        ),
        (
            "https://gitlab.com/group/sub/project",
            f"https://gitlab.com/group/sub/project/-/commit/{OID}",
            "https://gitlab.com/group/sub/project/-/blob/v1.39.0/fs/data/compress.c#L7",
        ),
        (
            "git://git.kernel.org/pub/scm/fs/xfs/xfsprogs-dev.git",
            f"https://git.kernel.org/pub/scm/fs/xfs/xfsprogs-dev.git/commit/?id={OID}",
            "https://git.kernel.org/pub/scm/fs/xfs/xfsprogs-dev.git/tree/fs/data/compress.c?h=v1.39.0#n7",
        ),
        (
            "https://repo.or.cz/git.git",
            f"https://repo.or.cz/?p=git.git;a=commit;h={OID}",
            "https://repo.or.cz/?p=git.git;a=blob;f=fs/data/compress.c;hb=v1.39.0#l7",
        ),
    ],
)
def test_each_forge_shape(remote: str, commit: str, source: str) -> None:
    views = from_remote(remote)
    assert views is not None and "elixir" not in str(views.as_json())
    assert commit_url(views, OID) == commit
    assert [url for _, url in source_links(views, _release("v1.39.0"), "fs/data/compress.c", 7)] == [source]


@pytest.mark.parametrize(
    "remote",
    [TORVALDS, "https://github.com/torvalds/linux", "git://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git"],
)
def test_the_kernel_wherever_it_is_cloned_from_links_to_kernel_org_and_elixir(remote: str) -> None:
    views = from_remote(remote)
    assert views == KERNEL
    names = [name for name, _ in source_links(views, _release("v6.1.170", "stable"), "fs/ext4/super.c", 3)]
    assert names == ["elixir", "git.kernel.org"]
    stable = dict(source_links(views, _release("v6.1.170", "stable"), "fs/ext4/super.c", 3))
    assert "/stable/linux.git/tree/fs/ext4/super.c?h=v6.1.170#n3" in stable["git.kernel.org"]


@pytest.mark.parametrize(
    "remote", [None, "", "/srv/git/linux-history", "file:///srv/x.git", "https://example.org/x.git"]
)
def test_no_known_view_gives_no_links(remote: str | None) -> None:
    views = from_remote(remote)
    assert views is None and commit_url(views, OID) is None
    assert source_links(views, _release("v1.0"), "a.c", 1) == []


def test_a_path_is_quoted_in_a_source_link() -> None:
    views = from_remote("https://github.com/o/r")
    assert source_links(views, _release("v1.0"), "a b/#x.c", 2) == [
        ("GitHub", "https://github.com/o/r/blob/v1.0/a%20b/%23x.c#L2")
    ]
