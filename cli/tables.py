"""`nofs report`'s tables: the API's answers (app/api/schemas.py) laid out for a terminal, each with its rule."""

import io
from typing import TYPE_CHECKING

from app.api.schemas import ChangeKindsOut, ContextOut, CountReport, FixPage, IdentifierCountsRow, ScopePage
from app.change_rules import LABELS as CHANGE_LABELS
from app.change_rules import REMOVALS, ChangeKind
from app.context_rules import NOFAIL
from app.metrics import METRICS
from app.queries.context import kept_words
from app.queries.places import Where
from app.queries.scopes import NOT_READ
from app.scope_rules import FINDING_LABELS, Finding

if TYPE_CHECKING:
    from rich.table import Table

NOT_SPLIT = (
    "not split: an interval between them is not attributed to commits (ingested with --no-commits, or still "
    "running) or was attributed before the split existed; the next `nofs ingest` attributes it"
)


def _printed(table: "Table") -> str:
    """A rich table as text (rich is imported only for the table format)."""
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=140).print(table)
    return out.getvalue()


def _kind_cells(row: IdentifierCountsRow) -> tuple[str, ...]:
    return tuple(str(v) for v in (row.uses, row.comment, row.string, row.definition, row.total))


def counts(report: CountReport) -> str:
    """`nofs report path` and `subsystem`: each place's counts by kind, then the totals."""
    from rich.table import Table

    scope = "every MAINTAINERS subsystem" if report.scope == "subsystems" else f"/{report.scope}"
    table = Table(title=f"{report.metric or 'all tracked identifiers'} at {report.release.tag}, {scope}")
    for column in ("name", "identifier", "uses", "comment", "string", "definition", "total"):
        table.add_column(column, justify="left" if column in ("name", "identifier") else "right")
    for row in report.items:
        if row.type != "total":
            table.add_row(row.name, row.identifier, *_kind_cells(row))
    table.add_section()
    for row in report.items:
        if row.type == "total":
            table.add_row(f"total {row.name or '/'}", row.identifier, *_kind_cells(row), style="bold")
    return _printed(table) + f"uses = code occurrences that are not definitions. {report.rule}"


def context(found: ContextOut) -> str:
    """`nofs report callee`: the code uses by callee and role, with the flags combined with them."""
    from rich.table import Table

    place = Where(found.path, found.subsystem).words
    kept = kept_words(found.callee, found.flag)
    title = f"{' '.join(METRICS[found.metric].identifiers)} at {found.release} {place}, by callee"
    table = Table(title=title + (f" ({kept})" if kept else ""))
    for column in ("callee", "role", "uses", f"with {NOFAIL}", "negated", "other flags"):
        table.add_column(column, justify="right" if column in ("uses", f"with {NOFAIL}", "negated") else "left")
    for row in found.items:
        table.add_row(row.callee or "-", row.role, str(row.uses), str(row.with_nofail), str(row.negated), row.flags)
    table.add_section()
    table.add_row("total", "", str(found.uses), str(found.with_nofail), str(found.negated), "", style="bold")
    roles = ", ".join(f"{r.role} {r.uses}" for r in found.roles) or "none"
    unclassified = (
        f" {found.unclassified} more were stored before the context existed: the next `nofs ingest` fills them in."
        if found.unclassified
        else ""
    )
    return _printed(table) + f"By role: {roles}. {found.count_rule}{unclassified} {found.rule}"


def scopes(page: ScopePage) -> str:
    """`nofs report scope`: the findings with their evidence, then the place's redundant uses and share."""
    place = Where(page.path, page.subsystem).words
    if not page.read or page.redundant is None or page.kinds is None:
        return f"Scopes at {page.release} {place}: {NOT_READ}."
    from rich.table import Table

    kind = f", {FINDING_LABELS[Finding(page.kind)]} only" if page.kind else ""
    table = Table(title=f"Scope findings at {page.release} {place}{kind}")
    for column in ("finding", "where", "function", "source", "evidence, innermost first"):
        table.add_column(column, overflow="fold")
    for r in page.items:
        what = f"{r.label} {r.identifier}" + (f" ({r.how})" if r.kind == Finding.REDUNDANT else "")
        chain = "\n".join(f"{s.path}:{s.line} {s.why}" for s in r.evidence) or "-"
        table.add_row(what, f"{r.path}:{r.line}", r.function or "-", r.text.strip(), chain)
    found = page.redundant
    share = f"{found.share:.1%}" if found.share is not None else "no use"
    kinds = ", ".join(f"{FINDING_LABELS[Finding(k)]} {n}" for k, n in page.kinds.items())
    return (
        _printed(table)
        + f"Redundant in scope: GFP_NOFS {found.redundant_nofs} of {found.nofs_uses} code uses ({share}), "
        + f"GFP_NOIO {found.redundant_noio}. By kind: {kinds}. {page.share_rule} {page.rule}"
    )


def change(found: ChangeKindsOut) -> str:
    """`nofs report change`: the change in uses between two releases by kind of change."""
    heading = (
        f"The change in uses of {found.metric} {Where(found.path, found.subsystem).words}, {found.from_} -> {found.to}"
    )
    split = found.split
    if split is None:
        return f"{heading}: {NOT_SPLIT}"
    from rich.table import Table

    table = Table(title=f"{heading}, by kind of change")
    table.add_column("kind of change")
    table.add_column("uses", justify="right")
    for kind in ChangeKind:
        sign = "-" if kind in REMOVALS else "+"
        table.add_row(CHANGE_LABELS[kind], f"{sign}{getattr(split, kind.value)}")
    table.add_section()
    table.add_row("the change in uses", f"{split.net:+d}")
    return _printed(table) + found.rule


def fixes(page: FixPage) -> str:
    """`nofs report fixes`: each conversion that needed a fix, with the commit that fixed it."""
    from rich.table import Table

    title = (
        f"Conversions of {page.metric}, {page.since} -> {page.release}, that needed a fix: "
        f"{page.fixed} of {page.conversions}"
    )
    table = Table(title=title)
    for column in ("release", "conversion", "net", "fixed by", "in"):
        table.add_column(column, overflow="fold", justify="right" if column == "net" else "left")
    for r in page.items:
        conversion = f"{r.commit[:12]} {r.subject}"
        fix = f"{r.fix_commit[:12]} {r.fix_subject}"
        table.add_row(r.release, conversion, f"{r.net:+d}", fix, r.fix_release or "-")
    return _printed(table) + page.rule
