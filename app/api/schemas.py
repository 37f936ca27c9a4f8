"""Response models of the JSON API: the contract bots rely on. Counts are numbers of occurrences."""

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from app.registry import KIND_RULES, Kind


class ReleaseOut(BaseModel):
    tag: str = Field(description="the release tag, e.g. v6.7")
    commit: str = Field(description="the commit id the tag points at")
    commit_date: datetime = Field(description="the commit's date, UTC")
    line: str = Field(description="mainline, rc (a release candidate), stable, or ref (a moving ref)")
    series: str = Field(
        description="the stable series (v6.1 for v6.1 and v6.1.170); a moving ref as asked for (next-*); else ''"
    )
    provisional: bool = Field(description="a moving ref (a for-next branch, the newest next- tag), not a release")


class Counts(BaseModel):
    """Occurrences of the metric's identifiers, by lexical kind; `uses` is the headline number."""

    code: int = Field(description=KIND_RULES[Kind.CODE])
    comment: int = Field(description=KIND_RULES[Kind.COMMENT])
    string: int = Field(description=KIND_RULES[Kind.STRING])
    definition: int = Field(description=KIND_RULES[Kind.DEFINITION])
    uses: int = Field(description="= code")
    total: int = Field(description="= code + comment + string + definition, what git grep -o -w counts")


class CountsRow(Counts):
    name: str = Field(description="a path (directory or file) or a MAINTAINERS section title")
    type: str = Field(description="dir, file or subsystem")
    previous_uses: int = Field(
        description="uses at the release compared with: the previous one on its line (0 at the first), "
        "or a comparison's older release"
    )
    previous_total: int = Field(description="total at the release compared with")
    change: int = Field(
        description="the number `count` asks for (uses by default, else total) minus its previous value"
    )


class IdentifierCountsRow(Counts):
    """One identifier's occurrences in one place, by kind."""

    name: str = Field(description="a path (directory or file), a MAINTAINERS section title, or the place as a whole")
    type: str = Field(description="dir, file or subsystem; total for the place as a whole (a row every identifier)")
    identifier: str


class CountReport(BaseModel):
    """`nofs report path|subsystem`: every identifier asked about, for each child of a path or each subsystem, then
    the place as a whole (a row for every identifier, zeros included)."""

    release: ReleaseOut
    scope: str = Field(description="the path whose children are listed ('' is the whole tree), or 'subsystems'")
    metric: str | None = Field(description="the one identifier asked about, or null for every tracked one")
    rule: str = Field(description="the exact counting rule")
    items: list[IdentifierCountsRow] = Field(description="most uses first, then the totals; the CSV's rows")


class HistoryRow(Counts):
    """One point of a history: along the timeline of the `release` asked for (the newest by default):
    mainline releases, or a stable release's own series."""

    release: str
    commit_date: datetime
    line: str
    provisional: bool


class OccurrenceOut(BaseModel):
    line: int = Field(description="1-based line number")
    col: int = Field(description="1-based byte column")
    identifier: str
    kind: str = Field(description="code, comment, string or definition")
    function: str | None = Field(description="the enclosing C function, when there is one")
    text: str = Field(description="the source line, at most 240 characters around the match")
    role: str | None = Field(
        description="what a code occurrence does (argument, policy, mask, call, macro, other: see /api/v1/context's "
        "rule); null for the other kinds"
    )
    callee: str | None = Field(description="the call it is an argument of (kmalloc, ->alloc, (*fn)), or null")
    argument: int | None = Field(description="which argument of the callee, 0-based, or null")
    flags: str | None = Field(
        description="the other GFP_*, __GFP_*, FGP_* names of its operand, sorted, space-separated; null for the "
        "other kinds"
    )
    negated: bool | None = Field(description="a code occurrence under a ~ (mask & ~__GFP_FS); null for the other kinds")


class RoleCount(BaseModel):
    role: str
    uses: int = Field(description="code occurrences with this role")
    rule: str = Field(description="how the role is decided")


class FlagCount(BaseModel):
    flag: str
    uses: int = Field(description="code occurrences combined with this flag in their operand")


class CalleeOut(BaseModel):
    """Code occurrences with one role and callee."""

    role: str = Field(description="argument, policy, mask, call, macro or other")
    callee: str | None = Field(description="the call they are an argument of (or the setter), or null")
    uses: int = Field(description="code occurrences")
    with_nofail: int = Field(description="of them, combined with __GFP_NOFAIL")
    negated: int = Field(description="of them, under a ~")
    flags: str = Field(description="the other flags combined with them, as FLAG:occurrences, most first")


class ContextOut(BaseModel):
    """What the metric's code occurrences do in one place at a release: the twin of the pages' context table."""

    release: str
    provisional: bool
    metric: str
    path: str | None = Field(description="the directory (with all below it) or file; null: the whole tree")
    subsystem: str | None = Field(description="the MAINTAINERS subsystem, or null")
    callee: str | None = Field(description="the callee filter asked for, or null")
    flag: str | None = Field(description="the flag filter asked for, or null")
    uses: int = Field(description="code occurrences kept by the filters")
    with_nofail: int = Field(description="of them, combined with __GFP_NOFAIL")
    negated: int = Field(description="of them, under a ~")
    unclassified: int = Field(description="stored before the context existed and not filled in yet: 0 after an ingest")
    roles: list[RoleCount]
    flags: list[FlagCount]
    items: list[CalleeOut] = Field(description="by role and callee, most first; the CSV's rows")
    count_rule: str = Field(description="what is counted")
    rule: str = Field(description="how each occurrence's context is read, and what the reading cannot see")


class ChangeOut(BaseModel):
    path: str
    identifier: str
    kind: str
    function: str | None
    text: str
    line: int = Field(description="line in the release where it is (added) or was (removed)")
    change: str = Field(description="added or removed")


class IdentifierOut(BaseModel):
    name: str
    group: str = Field(description="legacy, scoped or related")
    direction: str = Field(description="down, up or none: the way progress moves it")
    description: str


class MetricOut(BaseModel):
    key: str
    label: str
    identifiers: list[str]


class Registry(BaseModel):
    identifiers: list[IdentifierOut]
    metrics: list[MetricOut]
    rule: str = Field(description="the exact counting rule")


Item = TypeVar("Item", bound=BaseModel)


class Page(BaseModel, Generic[Item]):
    """A page of a list in a stable order; follow `next` until it is null."""

    items: list[Item]
    total: int = Field(description="items in the whole list")
    limit: int
    offset: int
    next: str | None = Field(description="the URL of the next page, or null")
    release: str | None = Field(default=None, description="the release the list is at, when it is at one")
    provisional: bool | None = Field(
        default=None, description="true when that release is a moving ref (for-next, next-*), not a release"
    )
    metric: str | None = None
    count_rule: str | None = Field(default=None, description="how the counts were made")


class ReleasePage(Page[ReleaseOut]):
    """Every ingested release, with how the repository's tags make lines and where its links go."""

    lines: str = Field(description="the repository's release scheme: kernel (mainline, rc, stable) or flat (one line)")
    lines_rule: str = Field(description="what the scheme means, and why it is this repository's")
    remote: str | None = Field(description="the repository's remote when it was ingested, if any")
    links: str = Field(description="where the `url` fields of commits and the pages' source links go")


class FilesystemPage(Page[CountsRow]):
    """fs/ by filesystem (each directory right below fs/), compared with `back` releases earlier: the slides' table."""

    since: str = Field(description="the release compared with: `back` releases before `release` on its axis")
    back: int = Field(description="releases back, as asked, clamped to the release's axis")
    vfs: CountsRow = Field(description="the files right in fs/ (the VFS), added up")
    whole: CountsRow = Field(description="all of fs/: the filesystems and the VFS's files")
    redundant_in_scope: dict[str, int] | None = Field(
        default=None,
        description="code uses of the metric redundant inside an open scope at `release`, per filesystem with a "
        "finding ('fs' for the VFS's files; /api/v1/scopes has the rule); null when `nofs scopes` has not read the "
        "release or the metric holds neither GFP_NOFS nor GFP_NOIO",
    )


class Summary(BaseModel):
    release: ReleaseOut
    previous: str | None = Field(description="the previous ingested release, or null")
    metric: str
    whole_tree: Counts
    in_fs: Counts = Field(description="below fs/")
    change_since_previous: int | None = Field(
        description="the change in the whole tree since the previous release on this release's line, as `count` asks"
    )
    change_since_first: int = Field(description="the change in the whole tree since the first release on its axis")
    count_rule: str


class FileChange(BaseModel):
    path: str
    before: int = Field(description="the metric in the chosen count (uses or all) at the older release")
    after: int = Field(description="the same at the newer release")
    change: int = Field(description="after minus before")


class Comparison(BaseModel):
    from_release: str = Field(alias="from")
    to_release: str = Field(alias="to")
    metric: str
    count: str = Field(description="uses or all: which occurrences before, after and every change count")
    before: int = Field(description="the whole tree at the older release")
    after: int = Field(description="the whole tree at the newer release")
    subsystems: list[CountsRow] = Field(
        description="subsystems whose number moved, largest change first, by kind at the newer release"
    )
    files: list[FileChange] = Field(description="files whose number moved, largest change first")

    model_config = {"populate_by_name": True}


class CommitOut(BaseModel):
    """A commit's effect on the metric in the asked-for scope (uses or all, as `count` says)."""

    release: str = Field(description="the release whose interval (previous release -> it) holds the commit")
    commit: str = Field(description="the full commit id")
    url: str | None = Field(
        description="the commit on the web, where the repository's remote (or NOFS_COMMIT_URL) puts it; null where "
        "no web view is known"
    )
    subject: str
    author_name: str
    author_email: str
    authored_at: datetime
    merge: bool = Field(description="true for a merge: its own change is its conflict resolution")
    step: int | None = Field(
        description="its place on the first-parent line from the previous release (1 = oldest; 0 = the base "
        "adjustment when that release is not on the line), or null when off the line"
    )
    files: int = Field(description="files whose count the commit changed")
    added: int = Field(description="increases, file by file")
    removed: int = Field(description="decreases, file by file, as a positive number")
    net: int = Field(description="added - removed")
    links: str = Field(description="the commit message's Link: trailers, space-separated")
    # its change in uses by kind of change (code occurrences, whatever `count` says; app/change_rules.py), flat
    # so that the CSV has a column each; null when its interval was attributed before the split existed
    converted: int | None = Field(default=None, description="uses converted: fewer in a function that stays")
    removed_with_code: int | None = Field(default=None, description="uses gone with their function or file")
    moved_out: int | None = Field(default=None, description="uses that left with a renamed file or moved function")
    moved_in: int | None = Field(default=None, description="uses that arrived with a renamed file or moved function")
    added_new: int | None = Field(default=None, description="uses added in a new function or file")
    added_existing: int | None = Field(default=None, description="uses added to a function or file that existed")
    fixed_by: str = Field(
        default="", description="the commits whose Fixes: trailer names this one, space-separated (oldest first)"
    )
    fixes: str = Field(
        default="",
        description="the commits this one's Fixes: trailers name, space-separated: full ids, or as written when "
        "they name no commit in the repository",
    )


class ChangeSplitOut(BaseModel):
    """A change in uses split by kind of change; the rule is app/change_rules.py's CHANGE_RULE_TEXT."""

    converted: int = Field(description="fewer in a function (or file) that stays")
    removed_with_code: int = Field(description="fewer because the function or file went away")
    moved_out: int = Field(description="left with a renamed file or a moved function")
    moved_in: int = Field(description="arrived with a renamed file or a moved function")
    added_new: int = Field(description="more in a function or file that did not exist before")
    added_existing: int = Field(description="more in a function or file that existed")
    net: int = Field(description="moved_in + added_new + added_existing - converted - removed_with_code - moved_out")


class ChangeKindsOut(BaseModel):
    """The change in uses between two releases (a place of the tree, or a subsystem) by kind of change."""

    from_: str = Field(alias="from")
    to: str
    metric: str
    path: str | None
    subsystem: str | None
    split: ChangeSplitOut | None = Field(
        description="null when an interval between the releases is not attributed, or was attributed before the "
        "split existed (the next nofs ingest does it again)"
    )
    rule: str

    model_config = {"populate_by_name": True}


class FixOut(BaseModel):
    """A conversion and one commit whose Fixes: trailer names it: one row per (conversion, fix)."""

    release: str = Field(description="the release whose interval holds the conversion")
    commit: str = Field(description="the conversion's full commit id")
    url: str | None
    subject: str
    author_name: str
    authored_at: datetime
    net: int = Field(description="the conversion's own change of the metric in the asked-for scope")
    fix_commit: str = Field(description="the fixing commit's full id")
    fix_url: str | None
    fix_subject: str
    fix_release: str = Field(description="the first release (by version) whose interval holds the fixing commit")


class FixPage(Page[FixOut]):
    since: str | None = Field(description="conversions of the intervals after this release, up to `release`")
    conversions: int = Field(description="commits in scope whose own change moved the metric the way it should go")
    fixed: int = Field(description="of those, the ones a Fixes: trailer names")
    read_upto: str | None = Field(description="the newest release whose interval's Fixes: trailers are stored")
    rule: str = Field(description="what counts as a conversion and a fix, and what cannot be seen")


class AuthorOut(BaseModel):
    name: str
    email: str
    commits: int = Field(description="commits that moved the metric")
    converted: int = Field(description="uses those commits converted (the kind of change, not moves or deletions)")
    lowered: int = Field(description="the net decreases of those commits, added up")
    raised: int = Field(description="the net increases of those commits, added up")


class ErrorOut(BaseModel):
    error: str = Field(description="not_found, invalid or unavailable")
    detail: str


class ScopeStepOut(BaseModel):
    """One step of a finding's evidence, innermost first."""

    function: str
    path: str
    line: int
    text: str
    why: str


class ScopeFindingOut(BaseModel):
    kind: str = Field(description="redundant, unpaired_save, foreign_restore, wrapper_scope, opener or closer")
    label: str = Field(description="the kind in words")
    identifier: str = Field(description="GFP_NOFS or GFP_NOIO for a redundant use; else the scope API named")
    path: str
    subsystem: str | None = Field(description="the file's MAINTAINERS subsystem at the release")
    line: int = Field(description="1-based")
    function: str | None = Field(description="the enclosing function, or null")
    how: str = Field(description="here: the scope is open in the same function; callers: every caller holds one")
    text: str = Field(description="the source line")
    evidence: list[ScopeStepOut] = Field(description="the chain that proves it, innermost first (CSV: as JSON)")


class ScopeRedundancyOut(BaseModel):
    name: str = Field(description="the place (a subsystem, or the place asked for), or the release of a history row")
    redundant_nofs: int = Field(description="code uses of GFP_NOFS redundant in scope")
    redundant_noio: int = Field(description="code uses of GFP_NOIO redundant in scope")
    nofs_uses: int = Field(description="code uses of GFP_NOFS in the place at the release: the share's denominator")
    share: float | None = Field(description="redundant_nofs / nofs_uses; null when there is no use")


class ScopeAnalysisOut(BaseModel):
    rule: int = Field(description="the version of the rules the release was read by")
    current_rule: int = Field(description="this server's rule version: an older one is read again by `nofs scopes`")
    files_read: int
    functions_read: int
    uses: int = Field(description="code uses of GFP_NOFS and GFP_NOIO judged in the whole tree")
    analysed_at: datetime


class ScopePage(Page[ScopeFindingOut]):
    """The scope reading of a place at a release: its summary, and its findings (of one kind, if asked) as items."""

    read: bool = Field(description="false: `nofs scopes` has not read this release; its counts are then null, not 0")
    note: str | None = Field(description="what to do when the release is not read")
    analysis: ScopeAnalysisOut | None
    path: str | None
    subsystem: str | None
    kind: str | None = Field(description="the kind the items are limited to, or null")
    kinds: dict[str, int] | None = Field(description="findings in the place by kind, every kind, whatever `kind` asks")
    redundant: ScopeRedundancyOut | None = Field(description="the place's redundant uses and share")
    redundant_how: dict[str, int] | None = Field(description="redundant uses by how the scope reaches them")
    subsystems: list[ScopeRedundancyOut] = Field(description="the whole tree's view only: by subsystem, most first")
    history: list[ScopeRedundancyOut] = Field(description="the place at each release read, along the release's axis")
    labels: dict[str, str] = Field(description="each kind in words")
    share_rule: str
    rule: str = Field(description="how scopes are read, and what the reading cannot see")
