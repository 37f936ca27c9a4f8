"""The kind of each change as readers and bots see it: the split on release, compare, subsystem and directory
pages, its JSON twin, and rankings by conversions, on the kernel-like history (btrfs converts in v1.10; ext4's
file goes in v1.10.1; v2.0 adds one in xfs)."""

import html

from fastapi.testclient import TestClient

from tests.web import text_of


def split_of(client: TestClient, query: str) -> dict[str, int]:
    body = client.get(f"/api/v1/change-kinds{query}").json()
    assert body["rule"].startswith("Each commit's change in code occurrences")
    return body["split"]


def test_the_twin_splits_each_interval_and_the_parts_add_up(client: TestClient) -> None:
    v1_10 = split_of(client, "?to=v1.10")
    assert (v1_10["converted"], v1_10["net"]) == (2, -2) and v1_10["removed_with_code"] == 0
    v2_0 = split_of(client, "?to=v2.0")  # from v1.10 along the mainline: ext4's file went, xfs gained one
    assert (v2_0["removed_with_code"], v2_0["added_new"], v2_0["converted"], v2_0["net"]) == (1, 1, 0, 0)
    whole = split_of(client, "?from=v1.9&to=v2.0")
    assert (whole["converted"], whole["removed_with_code"], whole["added_new"], whole["net"]) == (2, 1, 1, -2)
    for query in ("?to=v2.0", "?from=v1.9&to=v2.0"):  # the parts add up to the release-to-release change
        body = client.get(f"/api/v1/compare{query.replace('?to', '?from=v1.10&to') if 'from' not in query else query}")
        assert split_of(client, query)["net"] == body.json()["after"] - body.json()["before"]
    fs_btrfs = split_of(client, "?from=v1.9&to=v2.0&path=fs/btrfs")
    assert (fs_btrfs["converted"], fs_btrfs["net"]) == (2, -2)
    ext4 = split_of(client, "?from=v1.9&to=v2.0&subsystem=EXT4 FILE SYSTEM")
    assert (ext4["removed_with_code"], ext4["converted"]) == (1, 0)
    noio = split_of(client, "?to=v1.10.1&metric=GFP_NOIO")  # raid1's r() stays: its GFP_NOIO were converted
    assert (noio["converted"], noio["net"]) == (2, -2)


def test_bad_requests_are_4xx(client: TestClient) -> None:
    first = client.get("/api/v1/change-kinds?to=v1.9")  # no interval: the one error of every interval asked for
    assert (first.status_code, first.json()["detail"]) == (
        422,
        "v1.9 is the first ingested release: nothing to compare it with",
    )
    backwards = client.get("/api/v1/change-kinds?from=v2.0&to=v1.10")
    assert (backwards.status_code, backwards.json()["detail"]) == (422, "v2.0 is not an older release on v1.10's line")
    assert client.get("/api/v1/change-kinds?path=no/such").status_code == 404


def test_the_release_page_shows_the_split_and_ranks_by_conversions(client: TestClient) -> None:
    page = text_of(html.unescape(client.get("/releases/v2.0").text))
    assert "What kind of change, along the first-parent line from v1.10 to v2.0: removed with its code 1" in page
    assert "· added in new code 1 ; together ±0 uses" in page
    # deleting ext4's file lowered the count but converted nothing: no commit ranks as a converter
    assert "Commits that converted most" in page and "No commit converted a use." in page
    v1_10 = text_of(html.unescape(client.get("/releases/v1.10").text))
    assert "converted 2 ; together -2 uses" in v1_10 and "1 converted" in v1_10
    authors = client.get("/api/v1/releases/v1.10/authors").json()["items"]
    assert [(a["name"], a["converted"], a["lowered"]) for a in authors] == [("Alice Btrfs", 2, 2)]
    commits = client.get("/api/v1/releases/v1.10/commits").json()["items"]
    assert all(c["converted"] == 1 and c["removed_with_code"] == c["added_new"] == 0 for c in commits)
    csv = client.get("/api/v1/releases/v1.10/commits?format=csv").text.splitlines()
    assert ",converted,removed_with_code,moved_out,moved_in,added_new,added_existing," in csv[0]


def test_subsystem_and_directory_pages_show_their_split(client: TestClient) -> None:
    ext4 = text_of(html.unescape(client.get("/subsystems/EXT4 FILE SYSTEM?release=v2.0").text))
    assert "What kind of change, from v1.9 to v2.0: removed with its code 1 ; together -1 uses" in ext4
    btrfs = text_of(html.unescape(client.get("/tree/fs/btrfs?release=v2.0").text))
    assert "What kind of change, from v1.10 to v2.0: no use of GFP_NOFS was removed or added" in btrfs
    assert "What kind of change, from v1.9 to v2.0: converted 2 ; together -2 uses" in btrfs
