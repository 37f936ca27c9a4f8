from dataclasses import dataclass

from app.lines import groups, main_axis, predecessors, timeline


@dataclass(frozen=True)
class R:
    tag: str
    line: str
    series: str


def kernel(*tags: str) -> list[R]:
    """Releases in version order, with lines as the kernel's scheme gives them."""
    out = []
    for tag in tags:
        numbers, _, rc = tag.partition("-rc")
        parts = numbers.split(".")
        if rc:
            out.append(R(tag, "rc", numbers))
        elif len(parts) == 2:
            out.append(R(tag, "mainline", tag))
        else:
            out.append(R(tag, "stable", ".".join(parts[:2])))
    return out


def predecessor(releases: list[R], release: R) -> R | None:
    return predecessors(releases)[releases.index(release)]


def tags(releases: tuple[R, ...]) -> list[str]:
    return [r.tag for r in releases]


STABLE_MIX = kernel(
    "v5.10", "v5.10.1", "v5.10.262", "v5.11", "v6.1", "v6.1.170", "v6.2-rc1", "v6.2", "v6.3-rc1", "v6.3-rc2"
)


def by_tag(tag: str) -> R:
    return next(r for r in STABLE_MIX if r.tag == tag)


def test_main_axis_is_mainline_and_the_newest_cycles_candidates() -> None:
    assert tags(main_axis(STABLE_MIX)) == ["v5.10", "v5.11", "v6.1", "v6.2", "v6.3-rc1", "v6.3-rc2"]


def test_a_stable_release_is_a_point_on_its_own_series() -> None:
    assert tags(timeline(STABLE_MIX, by_tag("v5.10.262"))) == ["v5.10", "v5.10.1", "v5.10.262"]
    assert predecessor(STABLE_MIX, by_tag("v5.10.262")).tag == "v5.10.1"  # type: ignore[union-attr]
    assert predecessor(STABLE_MIX, by_tag("v5.11")).tag == "v5.10"  # type: ignore[union-attr]
    assert predecessor(STABLE_MIX, by_tag("v6.1.170")).tag == "v6.1"  # type: ignore[union-attr]


def test_a_past_cycles_candidate_sits_between_its_mainline_neighbours() -> None:
    assert tags(timeline(STABLE_MIX, by_tag("v6.2-rc1"))) == [
        "v5.10", "v5.11", "v6.1", "v6.2-rc1", "v6.2", "v6.3-rc1", "v6.3-rc2"]  # fmt: skip
    assert predecessor(STABLE_MIX, by_tag("v6.2-rc1")).tag == "v6.1"  # type: ignore[union-attr]
    assert predecessor(STABLE_MIX, by_tag("v6.2")).tag == "v6.1"  # type: ignore[union-attr]
    assert predecessor(STABLE_MIX, by_tag("v6.3-rc2")).tag == "v6.3-rc1"  # type: ignore[union-attr]
    assert predecessor(STABLE_MIX, by_tag("v5.10")) is None


def test_stable_releases_only_make_one_axis_in_version_order() -> None:
    debian = kernel("v6.1.170", "v6.1.176", "v6.12.107", "v6.12.117")
    assert tags(main_axis(debian)) == tags(tuple(debian))
    assert tags(timeline(debian, debian[2])) == tags(tuple(debian))
    assert predecessor(debian, debian[2]) == debian[1]


def test_groups_for_the_selector() -> None:
    assert [(label, tags(members)) for label, members in groups(STABLE_MIX)] == [
        ("Mainline", ["v6.3-rc2", "v6.3-rc1", "v6.2", "v6.1", "v5.11", "v5.10"]),
        ("v6.1 stable", ["v6.1.170"]),
        ("v5.10 stable", ["v5.10.262", "v5.10.1"]),
        ("Earlier release candidates", ["v6.2-rc1"]),
    ]
    debian = kernel("v6.1.170", "v6.12.117")
    assert [(label, tags(members)) for label, members in groups(debian)] == [("Releases", ["v6.12.117", "v6.1.170"])]


def test_a_moving_ref_follows_the_newest_release_on_the_main_axis() -> None:
    releases = [*STABLE_MIX, R("for-next", "ref", "for-next"), R("next-20261120", "ref", "next-*")]
    assert tags(main_axis(releases))[-3:] == ["v6.3-rc2", "for-next", "next-20261120"]
    assert predecessor(releases, releases[-1]).tag == "v6.3-rc2"  # type: ignore[union-attr]
    assert predecessor(releases, releases[-2]).tag == "v6.3-rc2"  # type: ignore[union-attr]
    assert groups(releases)[0] == ("Provisional (moving refs)", (releases[-1], releases[-2]))
    assert groups(releases)[1][0] == "Mainline" and "for-next" not in tags(groups(releases)[1][1])


def _by_timeline(releases: list[R], release: R) -> R | None:
    """The predecessor read off the release's timeline: the definition `predecessors` computes in one pass."""
    line = [r for r in timeline(releases, release) if r.line != "ref" or r == release]
    index = line.index(release)
    if index:
        return line[index - 1]
    position = releases.index(release)
    return releases[position - 1] if release.line == "stable" and position else None


def test_predecessors_in_one_pass_agree_with_each_timeline() -> None:
    import random

    rng = random.Random(7)
    for _ in range(200):
        tags = []
        for major in range(rng.randint(1, 6)):
            if rng.random() < 0.5:
                tags += [f"v{major}.0-rc{n}" for n in range(1, rng.randint(2, 4))]
            if rng.random() < 0.8:
                tags.append(f"v{major}.0")
            tags += [f"v{major}.0.{n}" for n in range(1, rng.randint(1, 5))]
        releases = kernel(*tags) + ([R("for-next", "ref", "for-next")] if rng.random() < 0.3 else [])
        assert predecessors(releases) == [_by_timeline(releases, r) for r in releases], tags
