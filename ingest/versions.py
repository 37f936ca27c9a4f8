"""Release versions from tag names: the kernel's scheme, or any scheme by its numeric parts. Pure.

Under the kernel's scheme (app/lines.py's Scheme), kernel tags (`v6.7`, `v6.8-rc3`, `v6.1.170`, `v2.6.39`,
`v2.6.39.4`) get their line and series; under a flat scheme every tag, and under either any other tag
(`zfs-2.2.0`, `v2_15_0`, `next-20261120`), is a mainline release ordered by the numbers in its name, or in
the regex's named group `version` when it has one. A trailing `-rcN`, `-alphaN`, `-betaN`
or `-preN` marks a pre-release, ordered before the release it leads to.
"""

import re
from dataclasses import dataclass

from app.lines import Line, Scheme

KERNEL_TAG = re.compile(r"^v(?P<numbers>\d+(?:\.\d+){1,3})(?:-rc(?P<rc>\d+))?$")
PRE_RELEASE = re.compile(r"[-_.~]?(?P<kind>alpha|beta|pre|rc)[-_.]?(?P<number>\d+)$", re.IGNORECASE)
DIGITS = re.compile(r"\d+")
# 2.6.x were the mainline releases of the 2.6 era (v2.6.11 ... v2.6.39); from 3.0 on, two numbers.
THREE_NUMBER_MAINLINE = (2, 6)


@dataclass(frozen=True)
class ReleaseVersion:
    """A release's place: `numbers` then pre-release (kind, number) before the final; `line`, `series`."""

    numbers: tuple[int, ...]
    pre: tuple[str, int] | None
    line: Line
    series: str

    @property
    def key(self) -> str:
        """A string that sorts like the version: each number prefixed by its length, then '!' and the
        pre-release before '#' for the final (both sort before '.', so v6.1 < v6.1.1 < v6.2-rc1 < v6.2)."""
        if self.line == Line.REF:  # after every version: '~' sorts after the digits a version key starts with
            return f"~{self.series}"
        numbers = ".".join(_sized(n) for n in self.numbers)
        return f"{numbers}!{self.pre[0]}{_sized(self.pre[1])}" if self.pre else f"{numbers}#"


def _sized(number: int) -> str:
    digits = str(number)
    return f"{len(digits):02d}{digits}"


def kernel_version(tag: str) -> ReleaseVersion | None:
    """The kernel's own scheme, or None when the tag is not one of its release tags."""
    match = KERNEL_TAG.match(tag)
    if match is None:
        return None
    numbers = tuple(int(n) for n in match["numbers"].split("."))
    mainline_length = 3 if numbers[:2] == THREE_NUMBER_MAINLINE else 2
    series = "v" + ".".join(str(n) for n in numbers[:mainline_length])
    if match["rc"] is not None:
        if len(numbers) != mainline_length:
            return None
        return ReleaseVersion(numbers, ("rc", int(match["rc"])), Line.RC, series)
    if len(numbers) == mainline_length:
        return ReleaseVersion(numbers, None, Line.MAINLINE, series)
    if len(numbers) == mainline_length + 1:
        return ReleaseVersion(numbers, None, Line.STABLE, series)
    return None


def generic_version(text: str) -> ReleaseVersion | None:
    """Any scheme: the numbers in `text`, a trailing pre-release marker apart; None without a number."""
    pre = PRE_RELEASE.search(text)
    head = text[: pre.start()] if pre else text
    numbers = tuple(int(n) for n in DIGITS.findall(head))
    if not numbers:
        return None
    if pre:
        return ReleaseVersion(numbers, (pre["kind"].lower(), int(pre["number"])), Line.RC, "")
    return ReleaseVersion(numbers, None, Line.MAINLINE, "")


def numbered_zero(version: ReleaseVersion) -> bool:
    """A kernel-shaped tag whose last number is 0 (`v1.38.0`): the kernel never tags one, a flat scheme's
    first release of a series does."""
    return version.line == Line.STABLE and version.numbers[-1] == 0


def parse_tag(
    tag: str, pattern: re.Pattern[str] | None = None, scheme: Scheme = Scheme.KERNEL
) -> ReleaseVersion | None:
    """The tag's version: under the kernel's scheme its shape first; else the numbers of the pattern's
    `version` group (when it has one and matches) or of the whole name."""
    version = kernel_version(tag) if scheme == Scheme.KERNEL else None
    if version is not None:
        return version
    match = pattern.search(tag) if pattern is not None and "version" in pattern.groupindex else None
    if match is not None and match["version"] is not None:
        return generic_version(match["version"])
    return generic_version(tag)


def ref_version(spec: str) -> ReleaseVersion:
    """A moving ref's place: after every release; its series is the ref as the user named it."""
    return ReleaseVersion((), None, Line.REF, spec)
