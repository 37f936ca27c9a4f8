"""`nofs report` as a table, JSON or CSV: formatting only; the numbers come from app.queries."""

import csv
import io
import json
from dataclasses import asdict
from typing import Any

from app import queries
from app.registry import RULE_TEXT


def _row_dict(row: queries.CountRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "type": row.type,
        "identifier": row.identifier,
        **row.counts._asdict(),
        "total": row.total,
        "uses": row.uses,
    }


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
        out = io.StringIO()
        writer = csv.DictWriter(out, _CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in [*report.rows, *report.totals]:
            writer.writerow({"release": report.release.tag, **_row_dict(row)})
        return out.getvalue().rstrip("\n")
    from rich.console import Console
    from rich.table import Table

    scope = "every MAINTAINERS subsystem" if report.scope == "subsystems" else f"/{report.scope}"
    table = Table(title=f"{report.metric or 'all tracked identifiers'} at {report.release.tag}, {scope}")
    for column in ("name", "identifier", "uses", "comment", "string", "definition", "total"):
        table.add_column(column, justify="left" if column in ("name", "identifier") else "right")
    for row in report.rows:
        table.add_row(
            row.name,
            row.identifier,
            *(str(v) for v in (row.uses, row.counts.comment, row.counts.string, row.counts.definition, row.total)),
        )
    table.add_section()
    for row in report.totals:
        table.add_row(
            f"total {row.name or '/'}",
            row.identifier,
            *(str(v) for v in (row.uses, row.counts.comment, row.counts.string, row.counts.definition, row.total)),
            style="bold",
        )
    out = io.StringIO()
    Console(file=out, width=140).print(table)
    return out.getvalue() + f"uses = code occurrences that are not definitions. {RULE_TEXT}"
