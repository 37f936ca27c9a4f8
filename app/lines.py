"""Release lines: which releases a trend runs through, and which release comes before another. Pure.

The ingest (attribution intervals) and the pages (axes, "since the previous release") both ask these
questions, so the answer lives here once.

- mainline: `v6.7`, `v2.6.39`, or any release of another tag scheme;
- rc: a mainline release candidate, `v6.8-rc3` (series `v6.8`);
- stable: `v6.1.170`, `v2.6.39.4`, on the series of its mainline release (`v6.1`, `v2.6.39`);
- ref: a moving ref (a maintainer's `for-next` branch, the newest `next-*` tag), a provisional point
  after the newest release, replaced when it moves; its series is the ref as asked for (`next-*`).

Those are the kernel's lines. A repository whose releases are `X.Y.0`, `X.Y.1`, … on one branch (bcachefs-tools,
xfsprogs, OpenZFS) has one line: its scheme is flat, and every release is a mainline release in version order.
"""

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol, TypeVar

# The kernel's release tags, every line: which lines an ingest takes is chosen by --rc and --stable.
KERNEL_TAG_PATTERN = r"^v\d+(\.\d+)+(-rc\d+)?$"


class Scheme(StrEnum):
    """How a repository's release tags make lines: chosen per repository, stored with it."""

    KERNEL = "kernel"
    FLAT = "flat"


SCHEME_RULES: dict[Scheme, str] = {
    Scheme.KERNEL: "the kernel's lines: mainline releases vX.Y (v2.6.X in the 2.6 era), their release candidates "
    "vX.Y-rcN, and stable releases vX.Y.Z on the series of vX.Y",
    Scheme.FLAT: "one line: every release in version order (X.Y.0, X.Y.1, … on one branch), pre-releases "
    "(-rcN, -betaN, …) before the release they lead to",
}
SCHEME_GUESS = (
    "guessed from the tags: the kernel's lines when the release tags look like the kernel's (vX.Y, vX.Y-rcN, "
    "vX.Y.Z, and no vX.Y.0), one line when a tag is X.Y.0 or none has the kernel's shape; "
    "nofs ingest --lines kernel|flat chooses"
)


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
    on_axis = {id(r) for r in axis}
    if id(release) in on_axis:
        return axis
    return tuple(r for r in releases if id(r) in on_axis or (r.line == Line.RC and r.series == release.series))


def predecessors(releases: Sequence[R]) -> list[R | None]:
    """The release before each one on its timeline, in one pass (linux-stable holds thousands of tags;
    asking `timeline` for each would be quadratic): the previous release of its stable series; the
    previous one on the main axis (a ref: the newest release, never another ref); for a release
    candidate of an earlier cycle, the later of those and its cycle's previous candidate. The first of a
    stable series whose mainline release is not stored follows the release before it in version order,
    so that it still has an interval."""
    has_mainline = any(r.line == Line.MAINLINE for r in releases)
    on_axis = {id(r) for r in main_axis(releases)}
    out: list[R | None] = []
    last: R | None = None
    last_on_axis: tuple[int, R] | None = None  # (position, release), refs left out
    last_in_series: dict[str, R] = {}
    last_candidate: dict[str, tuple[int, R]] = {}
    for position, release in enumerate(releases):
        if release.line == Line.STABLE and has_mainline:
            out.append(last_in_series.get(release.series, last))
        elif id(release) in on_axis:
            out.append(last_on_axis[1] if last_on_axis else None)
        else:  # a candidate of an earlier cycle: on the main axis with its own cycle's candidates
            seen = [item for item in (last_on_axis, last_candidate.get(release.series)) if item is not None]
            out.append(max(seen, key=lambda item: item[0])[1] if seen else None)
        last = release
        if release.line in (Line.MAINLINE, Line.STABLE):
            last_in_series[release.series] = release
        if id(release) in on_axis and release.line != Line.REF:
            last_on_axis = (position, release)
        if release.line == Line.RC:
            last_candidate[release.series] = (position, release)
    return out


def groups(releases: Sequence[R], scheme: Scheme = Scheme.KERNEL) -> list[tuple[str, tuple[R, ...]]]:
    """Releases by line for a selector or a list, each group newest first: the main axis, then each stable
    series (newest series first), then the release candidates of earlier cycles. A flat scheme's one line
    is "Releases", not "Mainline": there is no other line."""
    refs = tuple(r for r in reversed(releases) if r.line == Line.REF)
    provisional = [("Provisional (moving refs)", refs)] if refs else []
    axis = tuple(r for r in main_axis(releases) if r.line != Line.REF)
    if len(axis) + len(refs) == len(releases):
        one_line = scheme == Scheme.FLAT or not any(r.line == Line.MAINLINE for r in releases)
        label = "Releases" if one_line else "Mainline"
        return [*provisional, (label, axis[::-1])]
    out: list[tuple[str, tuple[R, ...]]] = [*provisional, ("Mainline", axis[::-1])]
    series: dict[str, list[R]] = {}
    for release in releases:
        if release.line == Line.STABLE:
            series.setdefault(release.series, []).append(release)
    for name, members in reversed(series.items()):
        out.append((f"{name} stable", tuple(members[::-1])))
    on_axis = {id(r) for r in axis}
    earlier = tuple(r for r in reversed(releases) if r.line == Line.RC and id(r) not in on_axis)
    if earlier:
        out.append(("Earlier release candidates", earlier))
    return out
