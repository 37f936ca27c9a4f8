"""Typed SQLAlchemy models. Alembic migrations make the schema; a test proves both agree."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base

OID = String(64)  # 40 hex for SHA-1 repositories, 64 for SHA-256 ones


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CountColumns:
    """The four lexical kinds, counted separately; 'uses' is `code`."""

    code: Mapped[int] = mapped_column(Integer, default=0)
    comment: Mapped[int] = mapped_column(Integer, default=0)
    string: Mapped[int] = mapped_column(Integer, default=0)
    definition: Mapped[int] = mapped_column(Integer, default=0)


class Release(Base):
    __tablename__ = "releases"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(255), unique=True)
    commit_id: Mapped[str] = mapped_column(OID)
    tree_id: Mapped[str] = mapped_column(OID)
    commit_date: Mapped[datetime] = mapped_column(UTCDateTime())
    sort_key: Mapped[str] = mapped_column(String(255), index=True)  # sorts like the version (ingest/versions.py)
    line: Mapped[str] = mapped_column(String(16), server_default="mainline")  # app.lines.Line
    series: Mapped[str] = mapped_column(String(255), server_default="")  # "v6.1" for v6.1 and v6.1.170
    maintainers_file_id: Mapped[int] = mapped_column(ForeignKey("maintainers_files.id"))
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())

    maintainers_file: Mapped["MaintainersFile"] = relationship()


class Repository(Base):
    """The repository ingested, one row (id 1): how its tags make lines (app.lines.Scheme, and why), and where
    its commits and source lines are on the web (app.web_views.WebViews as JSON; None: nowhere known)."""

    __tablename__ = "repository"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(16))
    scheme_rule: Mapped[str] = mapped_column(Text)
    remote: Mapped[str | None] = mapped_column(Text)  # origin's URL, or the URL ingested
    web: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Blob(Base):
    """A file content that holds tracked identifiers (or was skipped as binary); never changes once stored."""

    __tablename__ = "blobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    oid: Mapped[str] = mapped_column(OID, unique=True)
    size: Mapped[int] = mapped_column(Integer)
    is_binary: Mapped[bool] = mapped_column(Boolean, default=False)
    utf8: Mapped[bool] = mapped_column(Boolean, default=True)


class BlobCount(CountColumns, Base):
    __tablename__ = "blob_counts"

    blob_id: Mapped[int] = mapped_column(ForeignKey("blobs.id", ondelete="CASCADE"), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), primary_key=True)


# A code occurrence stored before its context existed (migration 0004): what the ingest backfills.
UNCLASSIFIED = text("kind = 'code' AND role IS NULL")


class Occurrence(Base):
    """One occurrence of a tracked identifier. The context columns (ingest/context.py, app/context_rules.py)
    are set for code occurrences only; NULL role on a code occurrence means not classified yet."""

    __tablename__ = "occurrences"
    __table_args__ = (
        Index("ix_occurrences_blob_line", "blob_id", "line"),
        # partial: empty once every code occurrence is classified, so the ingest's check for work is instant
        Index("ix_occurrences_unclassified", "blob_id", sqlite_where=UNCLASSIFIED, postgresql_where=UNCLASSIFIED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("blobs.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    col: Mapped[int] = mapped_column(Integer)
    identifier: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    function: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(16))  # app.context_rules.Role
    callee: Mapped[str | None] = mapped_column(String(255))  # the call it is an argument of
    argument: Mapped[int | None] = mapped_column(Integer)  # which argument of the callee, 0-based
    flags: Mapped[str | None] = mapped_column(String(512))  # other GFP flags of its operand: sorted, space-separated
    negated: Mapped[bool | None] = mapped_column(Boolean)  # under a ~


class Path(Base):
    """A directory or file path; the root is the empty string."""

    __tablename__ = "paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(4096), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("paths.id"), index=True)
    is_dir: Mapped[bool] = mapped_column(Boolean)


class Subsystem(Base):
    """A MAINTAINERS section title: the identity that follows a subsystem across releases."""

    __tablename__ = "subsystems"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)


class MaintainersFile(Base):
    """One MAINTAINERS blob, parsed once; `oid` is NULL-free: a tree without one gets the key 'none'."""

    __tablename__ = "maintainers_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    oid: Mapped[str] = mapped_column(OID, unique=True)


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("maintainers_file_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    maintainers_file_id: Mapped[int] = mapped_column(ForeignKey("maintainers_files.id", ondelete="CASCADE"))
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("subsystems.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(255))
    maintainers: Mapped[list[str]] = mapped_column(JSON, default=list)
    reviewers: Mapped[list[str]] = mapped_column(JSON, default=list)
    lists: Mapped[list[str]] = mapped_column(JSON, default=list)
    patterns: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    subsystem: Mapped[Subsystem] = relationship()


class ReleaseFile(Base):
    """A file of a release that holds at least one tracked occurrence."""

    __tablename__ = "release_files"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id"), primary_key=True)
    blob_id: Mapped[int] = mapped_column(ForeignKey("blobs.id"), index=True)
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("subsystems.id"), index=True)


class PathCount(CountColumns, Base):
    """Totals of one identifier at one release for a file, or for a directory and everything below it."""

    __tablename__ = "path_counts"
    __table_args__ = (Index("ix_path_counts_path", "path_id", "identifier"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id"), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), primary_key=True)


class SubsystemCount(CountColumns, Base):
    __tablename__ = "subsystem_counts"
    __table_args__ = (Index("ix_subsystem_counts_subsystem", "subsystem_id", "identifier"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("subsystems.id"), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), primary_key=True)


class CleanBlob(Base):
    """A blob seen only between releases that holds no tracked identifier: never read again."""

    __tablename__ = "clean_blobs"

    oid: Mapped[str] = mapped_column(OID, primary_key=True)


class Commit(Base):
    """A commit that moved a tracked count, or that names a commit in a Fixes: trailer, as git records it;
    shared by every release interval holding it."""

    __tablename__ = "commits"

    id: Mapped[int] = mapped_column(primary_key=True)
    oid: Mapped[str] = mapped_column(OID, unique=True)
    author_name: Mapped[str] = mapped_column(String(255))
    author_email: Mapped[str] = mapped_column(String(255), index=True)
    authored_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subject: Mapped[str] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)  # the message's Link: trailers
    parents: Mapped[int] = mapped_column(Integer)


class Attribution(Base):
    """A release whose interval (previous release → it) has been attributed to commits.

    `from_commit` is the previous release's commit (NULL for the first release: nothing to attribute);
    `base_commit` is where the first-parent line from the tag meets the previous release's history.
    """

    __tablename__ = "attributions"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    from_tag: Mapped[str | None] = mapped_column(String(255))
    from_commit: Mapped[str | None] = mapped_column(OID)
    base_commit: Mapped[str | None] = mapped_column(OID)
    commits_walked: Mapped[int] = mapped_column(Integer)
    # a shallow clone's history stops between the two releases: attribution starts at its boundary
    shallow_boundary: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # its commit_changes carry the change split (migration 0005); false: attributed before, to do again
    change_kinds: Mapped[bool] = mapped_column(Boolean, server_default=false())
    # the interval's Fixes: trailers are stored (commit_fixes); false for intervals attributed before they were
    fixes_read: Mapped[bool] = mapped_column(Boolean, server_default=false())
    attributed_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class ReleaseCommit(Base):
    """A commit of a release interval with an effect. `step`: its place on the first-parent line from the
    previous release (1 = oldest; 0 = the base adjustment, when that release is not on the line), or NULL."""

    __tablename__ = "release_commits"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    commit_id: Mapped[int] = mapped_column(ForeignKey("commits.id"), primary_key=True, index=True)
    step: Mapped[int | None] = mapped_column(Integer)


class ChangeSplitColumns:
    """The change in code occurrences split by kind of change (app/change_rules.py); NULL: not split yet."""

    converted: Mapped[int | None] = mapped_column(Integer)
    removed_with_code: Mapped[int | None] = mapped_column(Integer)
    moved_out: Mapped[int | None] = mapped_column(Integer)
    moved_in: Mapped[int | None] = mapped_column(Integer)
    added_new: Mapped[int | None] = mapped_column(Integer)
    added_existing: Mapped[int | None] = mapped_column(Integer)


class CommitChange(CountColumns, ChangeSplitColumns, Base):
    """Signed change of one identifier in one file, by kind, and its change in code occurrences split by kind
    of change. view 'own': what the commit itself did (for a merge: its conflict resolution); 'step': first
    parent → commit, for the commits on the first-parent line."""

    __tablename__ = "commit_changes"
    __table_args__ = (
        Index("ix_commit_changes_release", "release_id", "view", "identifier"),
        Index("ix_commit_changes_path", "path_id", "identifier"),
        Index("ix_commit_changes_subsystem", "subsystem_id", "identifier"),
    )

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    commit_id: Mapped[int] = mapped_column(ForeignKey("commits.id"), primary_key=True)
    view: Mapped[str] = mapped_column(String(8), primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id"), primary_key=True)
    identifier: Mapped[str] = mapped_column(String(64), primary_key=True)
    subsystem_id: Mapped[int] = mapped_column(ForeignKey("subsystems.id"))


class CommitFix(Base):
    """A `Fixes:` trailer of a commit walked in a release interval (any walked commit, whatever it changed).

    `named` is the id as written (lower case, often abbreviated); `fixed_oid` the full id of the commit it
    names in the repository, NULL when it names none there (another tree's commit, an ambiguous prefix)."""

    __tablename__ = "commit_fixes"
    __table_args__ = (Index("ix_commit_fixes_fixed", "fixed_oid"),)

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    commit_id: Mapped[int] = mapped_column(ForeignKey("commits.id"), primary_key=True, index=True)
    named: Mapped[str] = mapped_column(OID, primary_key=True)
    fixed_oid: Mapped[str | None] = mapped_column(OID)


class ScopeAnalysis(Base):
    """A release whose tree `nofs scopes` has read for allocation scopes (ingest/scopes/run.py). `rule` is the
    version of the rules it was read with (app/scope_rules.py RULE_VERSION): an older one is read again."""

    __tablename__ = "scope_analyses"

    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), primary_key=True)
    rule: Mapped[int] = mapped_column(Integer)
    files_read: Mapped[int] = mapped_column(Integer)  # C files lexed for functions and calls
    functions_read: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer)  # code uses of GFP_NOFS and GFP_NOIO judged (the release's count)
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())


class ScopeFinding(Base):
    """One finding of the scope reading at a release (app/scope_rules.py Finding): a GFP_NOFS/GFP_NOIO use
    redundant in an open scope, an unpaired save, a foreign restore, a wrapper scope, an opener or a closer.
    `evidence` is the chain that proves it, innermost first: [{function, path, line, text, why}]."""

    __tablename__ = "scope_findings"
    # covers the counts pages show (app/scopes.py tallies) without reading the rows' chains
    __table_args__ = (Index("ix_scope_findings_tally", "release_id", "kind", "how", "identifier", "subsystem_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    identifier: Mapped[str] = mapped_column(String(64))  # GFP_NOFS/GFP_NOIO, or the scope API named
    path_id: Mapped[int] = mapped_column(ForeignKey("paths.id"), index=True)
    subsystem_id: Mapped[int | None] = mapped_column(ForeignKey("subsystems.id"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    function: Mapped[str | None] = mapped_column(String(255))
    how: Mapped[str] = mapped_column(String(16))  # 'here' (same function) or 'callers' (every caller, chain)
    text: Mapped[str] = mapped_column(Text)  # the source line, bounded as occurrences' text
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class DataChange(Base):
    """One change of what the read side shows, stored in the transaction that makes it: a release stored or
    removed, an interval attributed, a batch of a backfill, a release's scope reading. The read side's cache
    key is their count (app/cache.py): rows are only added, so the count grows with every commit of a change,
    in whatever order concurrent writers commit, and no writer waits on another for it."""

    __tablename__ = "data_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(String(255))  # "release v6.8 stored", "scopes of v6.8 read", …
    at: Mapped[datetime] = mapped_column(UTCDateTime(), server_default=func.now())
