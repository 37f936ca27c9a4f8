"""Read one release's scopes straight from a repository (no database) and print what a reviewer checks by hand:
every redundant use with its chain, the other findings by kind, and what the reading cost.

    .venv/bin/python bench/scope_precision.py ~/linux-history v6.12.117 [--context 3] [--kind redundant]

Precision is judged by reading each printed candidate in the tree (`git show TAG:path`): is a scope really
open on every path that reaches the use? docs/benchmarks.md ("Scopes") records the readings.
"""

import argparse
import collections
import re
import time

import pygit2

from app.scope_rules import Finding, How
from ingest.scopes.graph import Found
from ingest.scopes.run import tree_files
from ingest.scopes.spill import BlobSpill
from ingest.scopes.tree import read_scopes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repository")
    parser.add_argument("tag")
    parser.add_argument("--context", type=int, default=0, help="source lines shown around each finding")
    parser.add_argument("--kind", default="redundant", help="which findings to list [redundant]")
    args = parser.parse_args()
    repo = pygit2.Repository(args.repository)
    began = time.monotonic()
    tree_id = str(repo.revparse_single(args.tag).peel(pygit2.Tree).id)
    files = tree_files(repo, repo.path, tree_id, ("*.c", "*.h"), BlobSpill())
    read_at = time.monotonic()
    reading = read_scopes(files)
    done = time.monotonic()
    kinds = collections.Counter(str(f.kind) for f in reading.findings)
    redundant = [f for f in reading.findings if f.kind is Finding.REDUNDANT]
    print(
        f"{args.tag}: {len(files)} C files held in {read_at - began:.1f} s; reading {done - read_at:.1f} s in "
        f"{reading.rounds} rounds: {reading.files_read} files lexed, {reading.functions_read} functions, "
        f"{reading.uses} uses judged, {reading.not_followed} names not followed"
    )
    print("findings:", dict(sorted(kinds.items())))
    how = collections.Counter((f.identifier, str(f.how)) for f in redundant)
    print("redundant:", dict(sorted(how.items())))
    by_area = collections.Counter("/".join(f.path.split("/")[:2]) for f in redundant)
    print("redundant by directory:", dict(by_area.most_common()))
    _agreement(files, redundant)
    for number, found in enumerate((f for f in reading.findings if str(f.kind) == args.kind), 1):
        print(f"\n[{number}] {found.identifier} {found.path}:{found.line} in {found.function} ({found.how})")
        _show(files, found.path, found.line, args.context)
        for step in found.evidence:
            print(f"    {'  ' * step.depth}{step.function} {step.path}:{step.line}: {step.why}")


_SAVE = re.compile(r"\bmemalloc_(nofs|noio)_save\s*\(|\bmemalloc_flags_save\s*\([^)]*PF_MEMALLOC_(NOFS|NOIO)")
_RESTORE = re.compile(r"\bmemalloc_(nofs|noio|flags)_restore\s*\(")
_USE = re.compile(r"\b(GFP_NOFS|GFP_NOIO)\b")


def simple_local(files: dict[str, bytes]) -> set[tuple[str, int]]:
    """An independent, simple reading of the within-function rule: line by line, a function starts at a `{`
    in column 0 and ends at a `}` in column 0; a save line opens, a restore line closes (whatever it
    restores), a comment line is skipped; a GFP_NOFS/GFP_NOIO line while something is open is a candidate."""
    found = set()
    for path, data in files.items():
        if b"memalloc_" not in data or (b"GFP_NOFS" not in data and b"GFP_NOIO" not in data):
            continue
        opened: list[str] = []
        for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
            if line.startswith("{") or line.startswith("}"):
                opened = []
                continue
            code = line.split("//")[0]
            if code.lstrip().startswith(("*", "/*")):
                continue
            use = _USE.search(code)
            if use and any(scope == "noio" or use.group(1) == "GFP_NOFS" for scope in opened):
                found.add((path, number))
            saved = _SAVE.search(code)
            if saved:
                opened.append((saved.group(1) or saved.group(2)).lower())
            elif _RESTORE.search(code) and opened:
                opened.pop()
    return found


def _agreement(files: dict[str, bytes], redundant: list[Found]) -> None:
    """Compare the reading's 'here' findings with the simple line-by-line reading of the same rule."""
    here = {(f.path, f.line) for f in redundant if f.how is How.HERE}
    simple = simple_local(files)
    print(
        f"within one function, against a simple line-by-line reading: both {len(here & simple)}, "
        f"only nofs {sorted(here - simple)}, only the simple reading {sorted(simple - here)}"
    )


def _show(files: dict[str, bytes], path: str, line: int, context: int) -> None:
    lines = files[path].decode("utf-8", "replace").split("\n")
    for number in range(max(1, line - context), min(len(lines), line + context) + 1):
        mark = ">" if number == line else " "
        print(f"  {mark}{number:6d} {lines[number - 1]}")


if __name__ == "__main__":
    main()
