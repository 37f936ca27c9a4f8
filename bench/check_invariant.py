#!/usr/bin/env python3
"""Check the exactness invariant on an ingested real repository, for every release, directory and identifier:

    code + comment + string + definition  ==  git grep -o -w IDENT TAG -- 'DIR/*.c' 'DIR/*.h' | wc -l

    DATABASE_URL=sqlite:///… python bench/check_invariant.py ~/linux-history [DIR …]

One `git grep -o -w -h -e IDENT …` per release and directory, its output lines tallied per identifier:
with -o every match is a line of its own, so each tally is that identifier's `wc -l`.
"""

import argparse
import subprocess
import sys
from collections import Counter

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import get_engine, is_missing_schema, safe_url
from app.queries import counts
from app.queries.releases import releases as every_release
from app.registry import NAMES
from app.settings import get_settings

DEFAULT_DIRECTORIES = ("", "fs", "fs/btrfs", "fs/xfs", "fs/ext4", "mm", "net/ceph")


def git_grep(repo: str, tag: str, directory: str) -> Counter[str]:
    prefix = f"{directory}/" if directory else ""
    args = ["git", "-C", repo, "grep", "-o", "-w", "-h"]
    for name in NAMES:
        args += ["-e", name]
    output = subprocess.run([*args, tag, "--", f"{prefix}*.c", f"{prefix}*.h"], capture_output=True).stdout
    return Counter(line.decode() for line in output.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("directories", nargs="*", default=DEFAULT_DIRECTORIES)
    args = parser.parse_args()
    checked = failed = 0
    with Session(get_engine()) as session:
        try:
            releases = every_release(session)
        except DBAPIError as exc:
            if not is_missing_schema(exc):
                raise
            where = safe_url(get_settings().database_url)
            sys.exit(f"check_invariant: nothing ingested in {where}: run nofs ingest first")
        if not releases:
            sys.exit("check_invariant: no releases in the database: run nofs ingest first")
        for release in releases:
            for directory in args.directories:
                expected = git_grep(args.repo, release.tag, directory)
                report = counts.path_report(session, release.tag, directory)
                stored = {row.identifier: row.total for row in report.totals}
                for name in NAMES:
                    checked += 1
                    if expected[name] != stored.get(name, 0):
                        failed += 1
                        print(
                            f"MISMATCH {release.tag} /{directory} {name}: git grep {expected[name]}, "
                            f"nofs {stored.get(name, 0)}"
                        )
            print(f"{release.tag}: checked {len(args.directories)} directories x {len(NAMES)} identifiers", flush=True)
    print(f"{checked - failed} of {checked} (release, directory, identifier) counts equal git grep's")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
