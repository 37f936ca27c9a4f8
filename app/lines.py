"""Release lines: which releases a trend runs through, and which release comes before another. Pure.

The ingest (attribution intervals) and the pages (axes, "since the previous release") both ask these
questions, so the answer lives here once.

- mainline: `v6.7`, `v2.6.39`, or any release of another tag scheme;
- rc: a mainline release candidate, `v6.8-rc3` (series `v6.8`);
- stable: `v6.1.170`, `v2.6.39.4`, on the series of its mainline release (`v6.1`, `v2.6.39`);
- ref: a moving ref (a maintainer's `for-next` branch, the newest `next-*` tag), a provisional point
  after the newest release, replaced when it moves; its series is the ref as asked for (`next-*`).
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol, TypeVar


class Line(StrEnum):
    MAINLINE = "mainline"
    RC = "rc"
    STABLE = "stable"
    REF = "ref"


class OnALine(Protocol):
    @property
    def line(self) -> str: ...
    @property
    def series(self) -> str: ...


R = TypeVar("R", bound=OnALine)


def _cycle(releases: Sequence[R]) -> set[str]:
    """Series of release candidates whose final release is not there yet: the newest cycle's."""
    finals = {r.series for r in releases if r.line == Line.MAINLINE}
    newest_final = max((i for i, r in enumerate(releases) if r.line == Line.MAINLINE), default=-1)
    return {r.series for r in releases[newest_final + 1 :] if r.line == Line.RC and r.series not in finals}


def main_axis(releases: Sequence[R]) -> tuple[R, ...]:
    """The trend's axis, from releases in version order: mainline releases, then the newest cycle's
    release candidates. With no mainline release at all (a history of stable releases only), every
    release in version order, each series after the other."""
    if not any(r.line == Line.MAINLINE for r in releases):
        return tuple(releases)  # refs sort last
    cycle = _cycle(releases)
    wanted = (Line.MAINLINE, Line.REF)
    return tuple(r for r in releases if r.line in wanted or (r.line == Line.RC and r.series in cycle))


def timeline(releases: Sequence[R], release: R) -> tuple[R, ...]:
    """The axis `release` is a point on: its stable series (the series' mainline release and its stable
    releases) when mainline releases are stored, or the main axis (with the release candidates of
    `release`'s own cycle)."""
    if release.line == Line.STABLE and any(r.line == Line.MAINLINE for r in releases):
        return tuple(r for r in releases if r.series == release.series and r.line in (Line.MAINLINE, Line.STABLE))
    axis = main_axis(releases)
    if release in axis:
        return axis
    return tuple(r for r in releases if r in axis or (r.line == Line.RC and r.series == release.series))


def predecessor(releases: Sequence[R], release: R) -> R | None:
    """The release before `release` on its timeline; for the first of a stable series with no mainline
    release stored, the release before it in version order (so that it still has an interval)."""
    line = timeline(releases, release)
    if release.line == Line.REF:  # a ref follows the newest release, never another ref
        line = tuple(r for r in line if r.line != Line.REF or r == release)
    index = line.index(release)
    if index:
        return line[index - 1]
    if release.line == Line.STABLE:
        position = list(releases).index(release)
        return releases[position - 1] if position else None
    return None


def groups(releases: Sequence[R]) -> list[tuple[str, tuple[R, ...]]]:
    """Releases by line for a selector or a list, each group newest first: the main axis, then each stable
    series (newest series first), then the release candidates of earlier cycles."""
    refs = tuple(r for r in reversed(releases) if r.line == Line.REF)
    provisional = [("Provisional (moving refs)", refs)] if refs else []
    axis = tuple(r for r in main_axis(releases) if r.line != Line.REF)
    if len(axis) + len(refs) == len(releases):
        label = "Releases" if not any(r.line == Line.MAINLINE for r in releases) else "Mainline"
        return [*provisional, (label, axis[::-1])]
    out: list[tuple[str, tuple[R, ...]]] = [*provisional, ("Mainline", axis[::-1])]
    series: dict[str, list[R]] = {}
    for release in releases:
        if release.line == Line.STABLE:
            series.setdefault(release.series, []).append(release)
    for name, members in reversed(series.items()):
        out.append((f"{name} stable", tuple(members[::-1])))
    earlier = tuple(r for r in reversed(releases) if r.line == Line.RC and r not in axis)
    if earlier:
        out.append(("Earlier release candidates", earlier))
    return out
