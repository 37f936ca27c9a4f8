"""The answers of the API built from the read-side queries: one mapping from query results to the response models
(app/api/schemas.py), and one CSV writer. The API's routes respond with them, and `nofs report` prints the same
models as a table, JSON or CSV. No web framework here: the command line imports it."""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.api.schemas import (
    CalleeOut,
    ChangeKindsOut,
    ChangeSplitOut,
    CommitOut,
    ContextOut,
    CountReport,
    CountsRow,
    FixOut,
    FixPage,
    FlagCount,
    IdentifierCountsRow,
    ReleaseOut,
    RoleCount,
    ScopeAnalysisOut,
    ScopeFindingOut,
    ScopePage,
    ScopeRedundancyOut,
    ScopeStepOut,
)
from app.change_rules import CHANGE_RULE_TEXT, ChangeSplit
from app.context_rules import CONTEXT_COUNT_RULE, CONTEXT_RULE_TEXT, NOFAIL, ROLE_RULES, Role
from app.links import commit_url
from app.metrics import Count, Metric
from app.queries import attribution, counts, fixes, releases, repository, scopes
from app.queries.context import ContextBreakdown
from app.queries.places import Where
from app.registry import RULE_TEXT
from app.registry import Counts as KindCounts
from app.scope_rules import FINDING_LABELS, RULE_VERSION, SCOPE_RULE_TEXT, Finding
from app.web_views import WebViews


@dataclass(frozen=True)
class Paging:
    """Which part of a list an answer holds: `limit` items from `offset` (None: all of them, as the command line
    prints), and the URL asked for, from which the next page's link is made (None: no link)."""

    limit: int | None = None
    offset: int = 0
    url: Any = None  # starlette's URL, whose include_query_params makes the next page's link

    def page(self, items: list[Any], **extra: Any) -> dict[str, Any]:
        """A Page's fields for a whole list, cut here."""
        limit = len(items) if self.limit is None else self.limit
        return self.cut(items[self.offset : self.offset + limit], len(items), **extra)

    def cut(self, page: list[Any], total: int, **extra: Any) -> dict[str, Any]:
        """A Page's fields for a page the query already cut (LIMIT/OFFSET), of `total` items in all."""
        limit = total if self.limit is None else self.limit
        following = None
        if self.url is not None and self.offset + limit < total:
            following = str(self.url.include_query_params(offset=self.offset + limit, limit=limit))
        return {"items": page, "total": total, "limit": limit, "offset": self.offset, "next": following, **extra}


EVERY_ITEM = Paging()


def at_release(release: releases.ReleaseRef) -> dict[str, Any]:
    """The release a list is at, and whether it is a moving ref's provisional point."""
    return {"release": release.tag, "provisional": release.provisional}


def count_rule(metric: Metric, count: Count) -> dict[str, str]:
    """What a list of counts counts: its metric and rule."""
    return {"metric": metric.key, "count_rule": metric.rule(count)}


def kind_counts(kinds: KindCounts) -> dict[str, int]:
    return {**kinds._asdict(), "uses": kinds.uses, "total": kinds.total}


def release_out(release: releases.ReleaseRef) -> ReleaseOut:
    return ReleaseOut(
        tag=release.tag,
        commit=release.commit_id,
        commit_date=release.commit_date,
        line=release.line,
        series=release.series,
        provisional=release.provisional,
    )


def count_rows(places: Iterable[counts.Place]) -> list[CountsRow]:
    """Places (directories, files, subsystems) with their value now and at the release compared with, in order."""
    return [
        CountsRow(
            name=p.name,
            type=p.type,
            previous_uses=p.then.uses,
            previous_total=p.then.total,
            change=p.change,
            **kind_counts(p.now),
        )
        for p in places
    ]


def count_report(report: counts.Report) -> CountReport:
    """`nofs report path` and `nofs report subsystem`: every identifier asked about, per place and in all."""
    return CountReport(
        release=release_out(report.release),
        scope=report.scope,
        metric=report.metric,
        rule=RULE_TEXT,
        items=[
            IdentifierCountsRow(name=r.name, type=r.type, identifier=r.identifier, **kind_counts(r.counts))
            for r in [*report.rows, *report.totals]
        ],
    )


def context(found: ContextBreakdown) -> ContextOut:
    return ContextOut(
        release=found.release.tag,
        provisional=found.release.provisional,
        metric=found.metric.key,
        path=found.where.path,
        subsystem=found.where.subsystem,
        callee=found.callee,
        flag=found.flag,
        uses=found.uses,
        with_nofail=found.with_flag(NOFAIL),
        negated=found.negated,
        unclassified=found.unclassified,
        roles=[RoleCount(role=role, uses=n, rule=ROLE_RULES[Role(role)]) for role, n in found.roles],
        flags=[FlagCount(flag=flag, uses=n) for flag, n in found.flags],
        items=[
            CalleeOut(
                role=c.role,
                callee=c.callee,
                uses=c.uses,
                with_nofail=c.with_flag(NOFAIL),
                negated=c.negated,
                flags=" ".join(f"{flag}:{n}" for flag, n in c.flags),
            )
            for c in found.callees
        ],
        count_rule=f"{', '.join(found.metric.identifiers)}: {CONTEXT_COUNT_RULE}.",
        rule=CONTEXT_RULE_TEXT,
    )


def commit_out(row: attribution.CommitRow, links: WebViews | None) -> CommitOut:
    return CommitOut(
        release=row.release,
        commit=row.commit,
        url=commit_url(links, row.commit),
        subject=row.subject,
        author_name=row.author_name,
        author_email=row.author_email,
        authored_at=row.authored_at,
        merge=row.merge,
        step=row.step,
        files=row.files,
        added=row.added,
        removed=row.removed,
        net=row.net,
        links=" ".join(row.links),
        **(row.split._asdict() if row.split is not None else {}),
        fixed_by=" ".join(f.commit for f in row.fixed_by),
        fixes=" ".join(f.commit for f in row.fixes),
    )


def split_out(split: ChangeSplit | None) -> ChangeSplitOut | None:
    return None if split is None else ChangeSplitOut(**split._asdict(), net=split.net)


def change_kinds(session: Session, metric: Metric, interval: releases.Interval, where: Where) -> ChangeKindsOut:
    """The change in uses over an interval, in a place, split by kind of change."""
    split = attribution.change_split(session, metric, interval.within, where)
    return ChangeKindsOut(
        **{"from": interval.older.tag},
        to=interval.newer.tag,
        metric=metric.key,
        path=where.path,
        subsystem=where.subsystem,
        split=split_out(split),
        rule=CHANGE_RULE_TEXT,
    )


def fix_rows(found: fixes.NeededFixes, links: WebViews | None) -> list[FixOut]:
    return [
        FixOut(
            release=row.release,
            commit=row.commit,
            url=commit_url(links, row.commit),
            subject=row.subject,
            author_name=row.author_name,
            authored_at=row.authored_at,
            net=row.net,
            fix_commit=fix.commit,
            fix_url=commit_url(links, fix.commit),
            fix_subject=fix.subject or "",
            fix_release=fix.release or "",
        )
        for row in found.rows
        for fix in row.fixed_by
    ]


def fix_page(
    session: Session, metric: Metric, count: Count, interval: releases.Interval, where: Where, paging: Paging
) -> FixPage:
    """The conversions of an interval, in a place, that a later Fixes: trailer names: one row a conversion and fix."""
    found = fixes.needed_fixes(session, metric, count, interval.within, where)
    return FixPage(
        **paging.page(
            fix_rows(found, repository.links(session)), **at_release(interval.newer), **count_rule(metric, count)
        ),
        since=interval.older.tag,
        conversions=found.conversions,
        fixed=len(found.rows),
        read_upto=found.read_upto,
        rule=found.rule,
    )


def finding_out(row: scopes.FindingRow) -> ScopeFindingOut:
    return ScopeFindingOut(
        kind=row.kind,
        label=row.label,
        identifier=row.identifier,
        path=row.path,
        subsystem=row.subsystem,
        line=row.line,
        function=row.function,
        how=row.how,
        text=row.text,
        evidence=[ScopeStepOut(**vars(step)) for step in row.evidence],
    )


def redundancy_out(found: scopes.Redundancy) -> ScopeRedundancyOut:
    return ScopeRedundancyOut(
        name=found.name,
        redundant_nofs=found.nofs,
        redundant_noio=found.noio,
        nofs_uses=found.nofs_uses,
        share=found.share,
    )


def analysis_out(found: scopes.Analysis | None) -> ScopeAnalysisOut | None:
    if found is None:
        return None
    return ScopeAnalysisOut(
        rule=found.rule,
        current_rule=RULE_VERSION,
        files_read=found.files_read,
        functions_read=found.functions_read,
        uses=found.uses,
        analysed_at=found.analysed_at,
    )


def scope_page(
    session: Session, release: releases.ReleaseRef, where: Where, kind: Finding | None, paging: Paging
) -> ScopePage:
    """The scope reading of a place at a release: its summary, and a page of its findings (of one kind)."""
    summary = scopes.summary(session, release, where)
    rows = [finding_out(r) for r in scopes.findings(session, release, where, kind, paging.limit, paging.offset)]
    total = summary.findings if kind is None else summary.of_kind(kind)
    history = scopes.series(session, releases.upto(session, release), where)
    return ScopePage(
        **paging.cut(rows, total, **at_release(release)),
        read=summary.read,
        note=None if summary.read else f"{release.tag}: {scopes.NOT_READ}",
        analysis=analysis_out(summary.analysis),
        path=where.path,
        subsystem=where.subsystem,
        kind=kind.value if kind else None,
        kinds=dict(summary.kinds) if summary.read else None,
        redundant=redundancy_out(summary.redundant) if summary.read else None,
        redundant_how=dict(summary.how) if summary.read else None,
        subsystems=[redundancy_out(s) for s in summary.subsystems],
        history=[redundancy_out(p.redundant) for p in history],
        labels={k.value: label for k, label in FINDING_LABELS.items()},
        share_rule=scopes.SHARE_RULE,
        rule=SCOPE_RULE_TEXT,
    )


def csv_rows(body: BaseModel) -> tuple[type[BaseModel], list[BaseModel]]:
    """The rows an answer's CSV holds, and their model: a list's items (of the model its `items` field declares,
    so that an empty list still has its columns), or the answer itself as one row."""
    items = getattr(body, "items", None)
    if not isinstance(items, list):
        return type(body), [body]
    (item,) = get_args(type(body).model_fields["items"].annotation)
    return item, items


def as_csv(body: BaseModel) -> str:
    """An answer as CSV: a header, then a row per item; a nested value (a finding's evidence) is one cell of
    JSON, not Python's repr of it."""
    model, rows = csv_rows(body)
    out = io.StringIO()
    columns = [field.alias or name for name, field in model.model_fields.items()]  # as the JSON names them
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        values = row.model_dump(mode="json", by_alias=True)
        writer.writerow({k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in values.items()})
    return out.getvalue()
