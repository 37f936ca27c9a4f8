"""`nofs report` as a table, JSON or CSV: formatting only; the numbers come from app.queries, app.scopes,
app.attribution and app.fixes."""

import csv
import io
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from app import fixes, queries, scopes
from app.change_rules import CHANGE_RULE_TEXT, REMOVALS, ChangeKind, ChangeSplit
from app.change_rules import LABELS as CHANGE_LABELS
from app.context_rules import CONTEXT_COUNT_RULE, CONTEXT_RULE_TEXT, NOFAIL
from app.registry import RULE_TEXT
from app.scope_rules import FINDING_LABELS, SCOPE_RULE_TEXT, Finding

if TYPE_CHECKING:
    from rich.table import Table


def _row_dict(row: queries.CountRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "type": row.type,
        "identifier": row.identifier,
        **row.counts._asdict(),
        "total": row.total,
        "uses": row.uses,
    }


def _kind_cells(row: queries.CountRow) -> tuple[str, ...]:
    return tuple(str(v) for v in (row.uses, row.counts.comment, row.counts.string, row.counts.definition, row.total))


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def _printed(table: "Table") -> str:
    """A rich table as text (rich is imported only for the table format)."""
    from rich.console import Console

    out = io.StringIO()
    Console(file=out, width=140).print(table)
    return out.getvalue()


_CSV_COLUMNS = (
    "release",
    "name",
    "type",
    "identifier",
    "code",
    "comment",
    "string",
    "definition",
    "total",
    "uses",
)


def render(report: queries.Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(
            {
                "release": {**asdict(report.release), "commit_date": report.release.commit_date.isoformat()},
                "scope": report.scope,
                "metric": report.metric,
                "rule": RULE_TEXT,
                "rows": [_row_dict(r) for r in report.rows],
                "totals": [_row_dict(r) for r in report.totals],
            },
            indent=2,
        )
    if fmt == "csv":
        return _csv(
            _CSV_COLUMNS, [{"release": report.release.tag, **_row_dict(r)} for r in [*report.rows, *report.totals]]
        )
    from rich.table import Table

    scope = "every MAINTAINERS subsystem" if report.scope == "subsystems" else f"/{report.scope}"
    table = Table(title=f"{report.metric or 'all tracked identifiers'} at {report.release.tag}, {scope}")
    for column in ("name", "identifier", "uses", "comment", "string", "definition", "total"):
        table.add_column(column, justify="left" if column in ("name", "identifier") else "right")
    for row in report.rows:
        table.add_row(row.name, row.identifier, *_kind_cells(row))
    table.add_section()
    for row in report.totals:
        table.add_row(f"total {row.name or '/'}", row.identifier, *_kind_cells(row), style="bold")
    return _printed(table) + f"uses = code occurrences that are not definitions. {RULE_TEXT}"


_CONTEXT_COLUMNS = ("release", "scope", "identifiers", "role", "callee", "uses", "with_nofail", "negated", "flags")


def render_context(found: queries.ContextBreakdown, fmt: str) -> str:
    """`nofs report --by callee`: the rows the pages' context table and /api/v1/context show."""
    identifiers = " ".join(found.metric.identifiers)
    rows = [
        {
            "role": c.role,
            "callee": c.callee,
            "uses": c.uses,
            "with_nofail": c.with_flag(NOFAIL),
            "negated": c.negated,
            "flags": " ".join(f"{flag}:{n}" for flag, n in c.flags),
        }
        for c in found.callees
    ]
    count_rule = f"{', '.join(found.metric.identifiers)}: {CONTEXT_COUNT_RULE}."
    if fmt == "json":
        return json.dumps(
            {
                "release": found.release.tag,
                "metric": found.metric.key,
                "path": found.path,
                "subsystem": found.subsystem,
                "callee": found.callee,
                "flag": found.flag,
                "uses": found.uses,
                "with_nofail": found.with_flag(NOFAIL),
                "negated": found.negated,
                "unclassified": found.unclassified,
                "roles": [{"role": role, "uses": n} for role, n in found.roles],
                "flags": [{"flag": flag, "uses": n} for flag, n in found.flags],
                "items": rows,
                "count_rule": count_rule,
                "rule": CONTEXT_RULE_TEXT,
            },
            indent=2,
        )
    scope = found.place.removeprefix("in ")
    if fmt == "csv":
        fixed = {"release": found.release.tag, "scope": scope, "identifiers": identifiers}
        return _csv(_CONTEXT_COLUMNS, [{**fixed, **row} for row in rows])
    from rich.table import Table

    title = f"{identifiers} at {found.release.tag} {found.place}, by callee"
    table = Table(title=title + (f" ({found.kept})" if found.kept else ""))
    for column in ("callee", "role", "uses", f"with {NOFAIL}", "negated", "other flags"):
        table.add_column(column, justify="right" if column in ("uses", f"with {NOFAIL}", "negated") else "left")
    for row in rows:
        table.add_row(
            row["callee"] or "-",
            row["role"],
            str(row["uses"]),
            str(row["with_nofail"]),
            str(row["negated"]),
            row["flags"],
        )
    table.add_section()
    table.add_row("total", "", str(found.uses), str(found.with_flag(NOFAIL)), str(found.negated), "", style="bold")
    roles = ", ".join(f"{role} {n}" for role, n in found.roles) or "none"
    unclassified = (
        f" {found.unclassified} more were stored before the context existed: the next `nofs ingest` fills them in."
        if found.unclassified
        else ""
    )
    return _printed(table) + f"By role: {roles}. {count_rule}{unclassified} {CONTEXT_RULE_TEXT}"


_SCOPE_COLUMNS = ("release", "kind", "identifier", "path", "subsystem", "line", "function", "how", "text", "evidence")


def _finding_dict(row: scopes.FindingRow) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "identifier": row.identifier,
        "path": row.path,
        "subsystem": row.subsystem,
        "line": row.line,
        "function": row.function,
        "how": row.how,
        "text": row.text,
        "evidence": [asdict(step) for step in row.evidence],
    }


def _redundancy_dict(found: scopes.Redundancy) -> dict[str, Any]:
    return {
        "name": found.name,
        "redundant_nofs": found.nofs,
        "redundant_noio": found.noio,
        "nofs_uses": found.nofs_uses,
        "share": found.share,
    }


def render_scopes(summary: scopes.ScopeSummary, rows: tuple[scopes.FindingRow, ...], kind: str | None, fmt: str) -> str:
    """`nofs report --by scope`: the findings /api/v1/scopes and the pages' scope section list, with the summary."""
    release = summary.release.tag
    if fmt == "json":
        a = summary.analysis
        return json.dumps(
            {
                "release": release,
                "read": summary.read,
                "note": None if summary.read else f"{release}: {scopes.NOT_READ}",
                "analysis": {**asdict(a), "analysed_at": a.analysed_at.isoformat()} if a else None,
                "path": summary.path,
                "subsystem": summary.subsystem,
                "kind": kind,
                "kinds": dict(summary.kinds) if summary.read else None,
                "redundant": _redundancy_dict(summary.redundant) if summary.read else None,
                "redundant_how": dict(summary.how) if summary.read else None,
                "subsystems": [_redundancy_dict(s) for s in summary.subsystems],
                "findings": [_finding_dict(r) for r in rows],
                "share_rule": scopes.SHARE_RULE,
                "rule": SCOPE_RULE_TEXT,
            },
            indent=2,
        )
    if fmt == "csv":
        cells = [{**_finding_dict(r), "release": release} for r in rows]
        return _csv(_SCOPE_COLUMNS, [{**c, "evidence": json.dumps(c["evidence"])} for c in cells])
    if not summary.read:
        return f"Scopes at {release} {summary.place}: {scopes.NOT_READ}."
    from rich.table import Table

    title = f"Scope findings at {release} {summary.place}" + (f", {FINDING_LABELS[Finding(kind)]} only" if kind else "")
    table = Table(title=title)
    for column in ("finding", "where", "function", "source", "evidence, innermost first"):
        table.add_column(column, overflow="fold")
    for r in rows:
        what = f"{r.label} {r.identifier}" + (f" ({r.how})" if r.kind == Finding.REDUNDANT else "")
        chain = "\n".join(f"{s.path}:{s.line} {s.why}" for s in r.evidence) or "-"
        table.add_row(what, f"{r.path}:{r.line}", r.function or "-", r.text.strip(), chain)
    found = summary.redundant
    share = f"{found.share:.1%}" if found.share is not None else "no use"
    kinds = ", ".join(f"{FINDING_LABELS[Finding(k)]} {n}" for k, n in summary.kinds)
    return (
        _printed(table)
        + f"Redundant in scope: GFP_NOFS {found.nofs} of {found.nofs_uses} code uses ({share}), GFP_NOIO {found.noio}. "
        + f"By kind: {kinds}. {scopes.SHARE_RULE} {SCOPE_RULE_TEXT}"
    )


_CHANGE_COLUMNS = ("from", "to", "metric", "kind", "uses")


def render_change(
    older: str,
    newer: str,
    metric: str,
    path: str | None,
    subsystem: str | None,
    split: ChangeSplit | None,
    fmt: str,
) -> str:
    """`nofs report --by change`: the change in uses between two releases split by kind (/api/v1/change-kinds)."""
    place = queries.place_words(path, subsystem)
    note = None if split is not None else NOT_SPLIT
    if fmt == "json":
        parts = {**split._asdict(), "net": split.net} if split is not None else None
        body = {"from": older, "to": newer, "metric": metric, "path": path, "subsystem": subsystem}
        return json.dumps({**body, "split": parts, "note": note, "rule": CHANGE_RULE_TEXT}, indent=2)
    if fmt == "csv":
        if split is None:  # the caller says why on stderr
            return _csv(_CHANGE_COLUMNS, [])
        rows = [{"kind": kind.value, "uses": getattr(split, kind.value)} for kind in ChangeKind]
        rows.append({"kind": "net", "uses": split.net})
        return _csv(_CHANGE_COLUMNS, [{"from": older, "to": newer, "metric": metric, **r} for r in rows])
    if split is None:
        return f"The change in uses of {metric} {place}, {older} -> {newer}: {NOT_SPLIT}"
    from rich.table import Table

    table = Table(title=f"The change in uses of {metric} {place}, {older} -> {newer}, by kind of change")
    table.add_column("kind of change")
    table.add_column("uses", justify="right")
    for kind in ChangeKind:
        sign = "-" if kind in REMOVALS else "+"
        table.add_row(CHANGE_LABELS[kind], f"{sign}{getattr(split, kind.value)}")
    table.add_section()
    table.add_row("the change in uses", f"{split.net:+d}")
    return _printed(table) + CHANGE_RULE_TEXT


NOT_SPLIT = (
    "not split: an interval between them is not attributed to commits (ingested with --no-commits, or still "
    "running) or was attributed before the split existed; the next `nofs ingest` attributes it"
)


_FIX_COLUMNS = ("release", "commit", "subject", "author_name", "net", "fix_commit", "fix_subject", "fix_release")


def render_fixes(older: str, newer: str, found: "fixes.NeededFixes", fmt: str) -> str:
    """`nofs report --by fixes`: conversions a later commit's Fixes: trailer names (/api/v1/fixes), one row a
    conversion and fix."""
    rows = [
        {
            "release": row.release,
            "commit": row.commit,
            "subject": row.subject,
            "author_name": row.author_name,
            "net": row.net,
            "fix_commit": fix.commit,
            "fix_subject": fix.subject or "",
            "fix_release": fix.release or "",
        }
        for row in found.rows
        for fix in row.fixed_by
    ]
    if fmt == "json":
        body = {"from": older, "to": newer, "metric": found.metric.key, "conversions": found.conversions}
        extra = {"fixed": len(found.rows), "read_upto": found.read_upto, "fixes": rows, "rule": found.rule}
        return json.dumps({**body, **extra}, indent=2)
    if fmt == "csv":
        return _csv(_FIX_COLUMNS, rows)
    from rich.table import Table

    title = (
        f"Conversions of {found.metric.key}, {older} -> {newer}, that needed a fix: "
        f"{len(found.rows)} of {found.conversions}"
    )
    table = Table(title=title)
    for column in ("release", "conversion", "net", "fixed by", "in"):
        table.add_column(column, overflow="fold", justify="right" if column == "net" else "left")
    for r in rows:
        conversion = f"{r['commit'][:12]} {r['subject']}"
        fix = f"{r['fix_commit'][:12]} {r['fix_subject']}"
        table.add_row(r["release"], conversion, f"{r['net']:+d}", fix, r["fix_release"] or "-")
    return _printed(table) + found.rule
