"""What a chart or table counts: a set of identifiers and which occurrences of them. Pure."""

from dataclasses import dataclass
from enum import StrEnum

from app.registry import BY_NAME, IDENTIFIERS, KIND_RULES, Counts, Group, Kind


class Count(StrEnum):
    USES = "uses"  # code occurrences, not definitions: the headline number
    ALL = "all"  # code + comment + string + definition: what `git grep -o -w | wc -l` counts

    def of(self, counts: Counts) -> int:
        """The one number a chart or table shows for these counts."""
        return counts.uses if self is Count.USES else counts.total


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    identifiers: tuple[str, ...]
    group: Group

    def rule(self, count: Count) -> str:
        names = ", ".join(self.identifiers)
        which = (
            f"code occurrences ({KIND_RULES[Kind.CODE]}); not comments, strings or definitions "
            f"({KIND_RULES[Kind.DEFINITION]})"
            if count is Count.USES
            else "all occurrences: code, comments, strings and definitions, as git grep -o -w counts them"
        )
        return f"{names}: {which}, whole words in *.c and *.h files."


SCOPES_OPENED = Metric(
    "scoped",
    "scoped API: scopes opened",
    ("memalloc_nofs_save", "memalloc_noio_save", "memalloc_flags_save"),
    Group.SCOPED,
)
METRICS: dict[str, Metric] = {
    "GFP_NOFS": Metric("GFP_NOFS", "GFP_NOFS", ("GFP_NOFS",), Group.LEGACY),
    "GFP_NOIO": Metric("GFP_NOIO", "GFP_NOIO", ("GFP_NOIO",), Group.LEGACY),
    "scoped": SCOPES_OPENED,
    "legacy": Metric("legacy", "legacy flags: GFP_NOFS + GFP_NOIO", ("GFP_NOFS", "GFP_NOIO"), Group.LEGACY),
    **{
        i.name: Metric(i.name, i.name, (i.name,), i.group)
        for i in IDENTIFIERS
        if i.name not in ("GFP_NOFS", "GFP_NOIO")
    },
}
DEFAULT_METRIC = "GFP_NOFS"


def goes_down(metric: Metric) -> bool:
    """True when progress means this number shrinks."""
    return all(BY_NAME[name].group is Group.LEGACY for name in metric.identifiers)


# The metric keys as an enum, so that the API's schema lists the allowed values.
MetricKey = StrEnum("MetricKey", {key: key for key in METRICS})  # type: ignore[misc]
