"""Everything an ingest stored, by natural keys (no surrogate ids, no timestamps), to compare two runs."""

from typing import Any

from sqlalchemy import Engine, text

QUERIES = {
    "releases": """SELECT r.tag, r.commit_id, r.tree_id, r.sort_key, r.line, r.series, m.oid FROM releases r
                   JOIN maintainers_files m ON m.id = r.maintainers_file_id""",
    "blobs": "SELECT oid, size, is_binary, utf8 FROM blobs",
    "blob_counts": """SELECT b.oid, c.identifier, c.code, c.comment, c.string, c.definition
                      FROM blob_counts c JOIN blobs b ON b.id = c.blob_id""",
    "occurrences": """SELECT b.oid, o.line, o.col, o.identifier, o.kind, o.function, o.text,
                             o.role, o.callee, o.argument, o.flags, o.negated
                      FROM occurrences o JOIN blobs b ON b.id = o.blob_id""",
    "paths": """SELECT p.path, q.path, p.is_dir FROM paths p LEFT JOIN paths q ON q.id = p.parent_id""",
    "subsystems": "SELECT name FROM subsystems",
    "sections": """SELECT m.oid, s.position, u.name, s.status, s.maintainers, s.reviewers, s.lists, s.patterns
                   FROM sections s JOIN maintainers_files m ON m.id = s.maintainers_file_id
                   JOIN subsystems u ON u.id = s.subsystem_id""",
    "release_files": """SELECT r.tag, p.path, b.oid, u.name FROM release_files f
                        JOIN releases r ON r.id = f.release_id JOIN paths p ON p.id = f.path_id
                        JOIN blobs b ON b.id = f.blob_id JOIN subsystems u ON u.id = f.subsystem_id""",
    "path_counts": """SELECT r.tag, p.path, c.identifier, c.code, c.comment, c.string, c.definition
                      FROM path_counts c JOIN releases r ON r.id = c.release_id JOIN paths p ON p.id = c.path_id""",
    "subsystem_counts": """SELECT r.tag, u.name, c.identifier, c.code, c.comment, c.string, c.definition
                           FROM subsystem_counts c JOIN releases r ON r.id = c.release_id
                           JOIN subsystems u ON u.id = c.subsystem_id""",
    "clean_blobs": "SELECT oid FROM clean_blobs",
    "commits": """SELECT oid, author_name, author_email, authored_at, subject, links, parents FROM commits""",
    "attributions": """SELECT r.tag, a.from_tag, a.from_commit, a.base_commit, a.commits_walked, a.shallow_boundary,
                              a.change_kinds, a.fixes_read
                       FROM attributions a JOIN releases r ON r.id = a.release_id""",
    "release_commits": """SELECT r.tag, c.oid, rc.step FROM release_commits rc
                          JOIN releases r ON r.id = rc.release_id JOIN commits c ON c.id = rc.commit_id""",
    "commit_changes": """SELECT r.tag, c.oid, x.view, p.path, x.identifier, u.name,
                                x.code, x.comment, x.string, x.definition, x.converted, x.removed_with_code,
                                x.moved_out, x.moved_in, x.added_new, x.added_existing
                         FROM commit_changes x JOIN releases r ON r.id = x.release_id
                         JOIN commits c ON c.id = x.commit_id JOIN paths p ON p.id = x.path_id
                         JOIN subsystems u ON u.id = x.subsystem_id""",
    "commit_fixes": """SELECT r.tag, c.oid, f.named, f.fixed_oid FROM commit_fixes f
                       JOIN releases r ON r.id = f.release_id JOIN commits c ON c.id = f.commit_id""",
}

ATTRIBUTION_TABLES = ("commit_fixes", "commit_changes", "release_commits", "attributions")
RELEASE_TABLES = (*ATTRIBUTION_TABLES, "path_counts", "subsystem_counts", "release_files", "releases")
ALL_TABLES = (
    *RELEASE_TABLES,
    "commits",
    "clean_blobs",
    "occurrences",
    "blob_counts",
    "blobs",
    "sections",
    "maintainers_files",
    "subsystems",
    "paths",
)


def wipe(engine: Engine, tables: tuple[str, ...] = ALL_TABLES) -> None:
    """Delete what an ingest stored (children first), to ingest the same repository again."""
    with engine.begin() as connection:
        for table in tables:
            connection.execute(text(f"DELETE FROM {table}"))


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table: sorted(tuple(str(v) for v in row) for row in connection.execute(text(query)))
            for table, query in QUERIES.items()
        }
