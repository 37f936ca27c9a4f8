"""Kernel tag versions: parse, order (v4.9 < v4.10, -rc before the final) and a sortable key to store."""

from packaging.version import InvalidVersion, Version

_KEY_PARTS = 4
_KEY_WIDTH = 6


def parse_tag(tag: str) -> Version | None:
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def sort_key(version: Version) -> str:
    """A string that sorts like the version: fixed-width release numbers, then pre-release before final."""
    release = (list(version.release) + [0] * _KEY_PARTS)[:_KEY_PARTS]
    numbers = ".".join(f"{part:0{_KEY_WIDTH}d}" for part in release)
    if version.pre is not None:
        letter, number = version.pre
        return f"{numbers}{letter}{number:0{_KEY_WIDTH}d}"
    return f"{numbers}z"
