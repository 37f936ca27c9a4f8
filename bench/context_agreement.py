#!/usr/bin/env python3
"""The callee of every GFP_NOFS/GFP_NOIO use in a real tree, by ingest/context.py and by a simple line method.

    python bench/context_agreement.py ~/linux-history [--tag v6.12.117] [--show N]

Every .c/.h blob of the tree is scanned with ingest/count.py's Matcher (all tracked identifiers, as the
ingest does). Timed in the same run: the scan alone (the baseline), and the context of every code
occurrence of every tracked identifier (the cost the occurrence context adds). Then, for the code occurrences of
GFP_NOFS and GFP_NOIO, the callee from ingest/context.py is compared with `simple_callee`, an independent
method written for this check and sharing no code with the parser: the source lines before the occurrence
(up to LOOKBACK_LINES) as one string, comments and literals cut out by regular expressions, balanced
parentheses collapsed, then the last unclosed `name(` before the occurrence. Agreement is printed overall
and per directory, with every disagreement (file:line, both answers, the line).
"""

import argparse
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pygit2

from app.registry import NAMES, Kind
from ingest.blobs import BlobReader
from ingest.context import OccurrenceContext, contexts
from ingest.count import Matcher, Occurrence
from ingest.tree import REGULAR_FILE_MODES

CHECKED: tuple[str, ...] = ("GFP_NOFS", "GFP_NOIO")
# Directories reported one by one; the rest of the tree is summed as "elsewhere".
DIRECTORIES = ("fs/btrfs", "fs/xfs", "fs/ext4", "fs/nfs", "fs/ceph", "fs/f2fs", "fs/gfs2", "fs/ocfs2", "net")
LOOKBACK_LINES = 30
READ_CHUNK = 512

# ---- the simple method: lines and regular expressions only ------------------------------------------------
_COMMENT_OR_LITERAL = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
_BALANCED = re.compile(r"\([^()]*\)")
_NAME_BEFORE = re.compile(r"(->|\.)?\s*([A-Za-z_]\w*)\s*$")
_NOT_A_CALL = {"sizeof", "typeof", "__typeof__", "_Alignof", "alignof", "_Generic"}
_CONTROL = {"if", "while", "for", "switch"}
_TRANSPARENT = {"return", "case", "else", "do", "likely", "unlikely"}
_TEST = re.compile(r"==|!=|<=|>=|&&|\|\||![^=]|(?<![-<])<(?!<)|(?<![->])>(?!>)")


def simple_callee(lines: list[str], index: int, col: int, suffix_limit: int = 200) -> tuple[str | None, int | None]:
    """(callee, argument index) by the last unclosed `name(` in the lines before the occurrence (0-based line)."""
    before = re.split(r"[;{}]", _collapsed(_code_before(lines, index, col)))[-1]  # the statement so far
    after = _COMMENT_OR_LITERAL.sub(" ", lines[index][col - 1 :][:suffix_limit])
    after = re.split(r"[,;)]", _collapsed(after))[0]  # the rest of the argument
    return _last_unclosed_call(before, after)


def _source_before(lines: list[str], index: int, col: int) -> str:
    """The text before the occurrence: in a #define, its body so far; else up to LOOKBACK_LINES lines, less
    preprocessor lines."""
    first = index
    while first > 0 and index - first < LOOKBACK_LINES and lines[first - 1].rstrip().endswith("\\"):
        first -= 1
    in_define = re.match(r"\s*#\s*define\s+\w+(\([^)]*\))?", lines[first])
    if in_define:  # a macro body: only the body counts
        return "\n".join([*lines[first:index], lines[index][: col - 1]])[in_define.end() :]
    first = max(0, index - LOOKBACK_LINES)
    kept = [line for line in lines[first:index] if not line.lstrip().startswith("#")]
    return "\n".join([*kept, lines[index][: col - 1]])


def _code_before(lines: list[str], index: int, col: int) -> str:
    """The source before the occurrence with its comments and literals cut out."""
    before = _COMMENT_OR_LITERAL.sub(" ", _source_before(lines, index, col).replace("\\\n", " "))
    if "*/" in before:  # the window began inside a comment
        before = before[before.rindex("*/") + 2 :]
    return before


def _collapsed(text: str) -> str:
    """Balanced parentheses collapsed to "@", innermost first, until none is left."""
    while True:
        collapsed = _BALANCED.sub("@", text)
        if collapsed == text:
            return text
        text = collapsed


def _last_unclosed_call(before: str, after: str) -> tuple[str | None, int | None]:
    """The call whose argument the occurrence is: the nearest unclosed bracket with a name before it that
    is a function's, not a keyword's."""
    for opening in reversed([m.start() for m in re.finditer(r"\(", before)]):
        argument = re.split(r",", before[opening + 1 :])[-1]
        if _tested_or_assigned(argument, after):
            return None, None  # a test or an assignment: the value is not the argument
        name = _NAME_BEFORE.search(before[:opening])
        if name is None:
            if before[:opening].rstrip().endswith("@"):
                return "(?)", None  # (*fn)( or a cast before the bracket: the line method cannot tell
            continue  # a grouping bracket
        word = name.group(2)
        if word in _CONTROL or word in _NOT_A_CALL:
            return None, None
        if word in _TRANSPARENT:
            continue
        return (name.group(1) or "") + word, before[opening + 1 :].count(",")
    return None, None


def _tested_or_assigned(argument: str, after: str) -> bool:
    """Whether the occurrence's value feeds a ternary, a comparison or an assignment within the argument."""
    return bool(
        "?" in after
        or _TEST.search(re.split(r"[?:]", argument)[-1] + " " + after)
        or re.search(r"(?<![=!<>])=(?!=)", argument)
    )


# ---- the run ---------------------------------------------------------------------------------------------
@dataclass
class Disagreement:
    path: str
    line: int
    parser: tuple[str | None, int | None]
    simple: tuple[str | None, int | None]
    text: str


def tree_blobs(repo: pygit2.Repository, tag: str) -> list[tuple[str, str]]:
    tree = repo.revparse_single(tag).peel(pygit2.Tree)
    found = []

    def walk(tree: pygit2.Tree, prefix: str) -> None:
        for entry in tree:
            path = prefix + entry.name
            if entry.type_str == "tree":
                walk(entry, path + "/")
            elif entry.filemode in REGULAR_FILE_MODES and path.endswith((".c", ".h")):
                found.append((path, str(entry.id)))

    walk(tree, "")
    return found


def directory_of(path: str) -> str:
    return next((d for d in DIRECTORIES if path.startswith(d + "/")), "elsewhere")


@dataclass
class Tally:
    """What a run measures: the time each step took, and how the two methods' callees compare."""

    read_seconds: float = 0.0
    scan_seconds: float = 0.0
    context_seconds: float = 0.0
    total_bytes: int = 0
    code_occurrences: int = 0
    agree: Counter[str] = field(default_factory=Counter)  # by directory
    checked: Counter[str] = field(default_factory=Counter)  # by directory
    roles: Counter[str] = field(default_factory=Counter)
    callees: Counter[str] = field(default_factory=Counter)
    hard: Counter[str] = field(default_factory=Counter)  # checked occurrences that a one-line reading would not settle
    disagreements: list[Disagreement] = field(default_factory=list)
    examples: defaultdict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # a few places a role

    def add_file(self, path: str, data: bytes, matcher: Matcher, checked_names: set[str]) -> None:
        """Scan one file, timed; the context of its code occurrences, timed; then compare the checked ones."""
        self.total_bytes += len(data)
        started = time.perf_counter()
        scan = matcher.scan(data)
        scanned = time.perf_counter()
        self.scan_seconds += scanned - started
        code = [o for o in scan.occurrences if o.kind == Kind.CODE]
        if not code:
            return
        found = contexts(data, [o.offset for o in code])
        self.context_seconds += time.perf_counter() - scanned
        self.code_occurrences += len(code)
        compared = [(o, c) for o, c in zip(code, found, strict=True) if o.identifier in checked_names]
        lines = data.decode("latin-1").split("\n") if compared else []
        for occurrence, context in compared:
            self.compare(path, lines, occurrence, context)

    def compare(self, path: str, lines: list[str], occurrence: Occurrence, context: OccurrenceContext) -> None:
        directory = directory_of(path)
        simple = simple_callee(lines, occurrence.line - 1, occurrence.col)
        ours = (context.callee, context.argument_index)
        self.checked[directory] += 1
        self.roles[context.role.value] += 1
        self.callees[context.callee or "-"] += 1
        bare_callee = (context.callee or "").lstrip("->.")
        self.hard["callee on an earlier line"] += bool(bare_callee) and bare_callee not in occurrence.text
        self.hard["ternary branch"] += context.conditional
        self.hard["in a #define body"] += context.in_macro
        self.hard["with other flags"] += bool(context.flags)
        self.hard["not an argument"] += context.callee is None
        if len(self.examples[context.role.value]) < 3:
            self.examples[context.role.value].append(f"{path}:{occurrence.line}")
        if simple == ours:
            self.agree[directory] += 1
        else:
            self.disagreements.append(Disagreement(path, occurrence.line, ours, simple, occurrence.text.strip()))


def measure(repo_path: str, blobs: list[tuple[str, str]], checked_names: set[str]) -> Tally:
    """Read the blobs READ_CHUNK at a time (timed) and tally each."""
    tally = Tally()
    matcher = Matcher(NAMES)  # all tracked identifiers, as the ingest scans
    with BlobReader(repo_path) as reader:
        for chunk_start in range(0, len(blobs), READ_CHUNK):
            chunk = blobs[chunk_start : chunk_start + READ_CHUNK]
            started = time.perf_counter()
            datas = [data for _oid, data in reader.read_many([oid for _path, oid in chunk])]
            tally.read_seconds += time.perf_counter() - started
            for (path, _oid), data in zip(chunk, datas, strict=True):
                tally.add_file(path, data, matcher, checked_names)
    return tally


def version_sorted_tags(repo: pygit2.Repository) -> list[str]:
    tags = (r.removeprefix("refs/tags/") for r in repo.references if r.startswith("refs/tags/"))
    return sorted(tags, key=lambda t: tuple(int(x) for x in re.findall(r"\d+", t)))


def blobs_to_read(repo: pygit2.Repository, tag: str | None) -> tuple[str, list[tuple[str, str]]]:
    """(what was read, its (path, blob id)s): the tag's tree, the newest tag's by default, or with 'all' what
    an ingest of every tag scans: each distinct blob once, under its first path."""
    tags = version_sorted_tags(repo)
    tag = tag or tags[-1]
    if tag != "all":
        return tag, tree_blobs(repo, tag)
    first_path = {oid: path for t in reversed(tags) for path, oid in tree_blobs(repo, t)}
    return f"{len(tags)} tags, {tags[0]} … {tags[-1]}", sorted((path, oid) for oid, path in first_path.items())


def print_timings(what: str, files: int, tally: Tally) -> None:
    print(f"{what}: {files} .c/.h files, {tally.total_bytes / 1e6:.0f} MB")
    print(f"read (dulwich):        {tally.read_seconds:6.2f} s")
    print(f"scan (count.py):       {tally.scan_seconds:6.2f} s  (baseline)")
    print(
        f"context of {tally.code_occurrences} code occurrences: {tally.context_seconds:6.2f} s = "
        f"{100 * tally.context_seconds / tally.scan_seconds:.1f} % of the scan, "
        f"{100 * tally.context_seconds / (tally.scan_seconds + tally.read_seconds):.1f} % of read + scan"
    )


def print_comparison(tally: Tally, checked_names: set[str], show: int) -> None:
    """Agreement by directory and overall, what the parser found, and the first `show` disagreements."""
    print(f"callee and argument index agreement, code occurrences of {', '.join(sorted(checked_names))}:")
    for directory in (*DIRECTORIES, "elsewhere"):
        if tally.checked[directory]:
            ratio = 100 * tally.agree[directory] / tally.checked[directory]
            print(f"  {directory:12} {tally.agree[directory]:5} of {tally.checked[directory]:5}  {ratio:6.2f} %")
    total, agreed = sum(tally.checked.values()), sum(tally.agree.values())
    print(f"  {'all':12} {agreed:5} of {total:5}  {100 * agreed / total:6.2f} %")
    print("  of which: " + ", ".join(f"{what} {n}" for what, n in tally.hard.items()))
    print()
    print("roles: " + ", ".join(f"{role} {n}" for role, n in tally.roles.most_common()))
    for role, where in sorted(tally.examples.items()):
        print(f"  e.g. {role}: {', '.join(where)}")
    print("top callees: " + ", ".join(f"{name} {n}" for name, n in tally.callees.most_common(40)))
    print()
    print(f"{len(tally.disagreements)} disagreements (parser / simple):")
    for d in tally.disagreements[:show]:
        parser_text, simple_text = (f"{c}#{i}" if c else "-" for c, i in (d.parser, d.simple))
        print(f"  {d.path}:{d.line}  parser={parser_text}  simple={simple_text}  | {d.text[:110]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo")
    parser.add_argument("--tag", help="default: the newest tag; 'all': every distinct blob of every tag, once")
    parser.add_argument("--show", type=int, default=1000, help="disagreements to list")
    parser.add_argument("--identifiers", default=",".join(CHECKED), help="comma-separated; 'all' for every one")
    args = parser.parse_args()
    what, blobs = blobs_to_read(pygit2.Repository(args.repo), args.tag)
    checked_names = set(NAMES if args.identifiers == "all" else args.identifiers.split(","))
    tally = measure(args.repo, blobs, checked_names)
    print_timings(what, len(blobs), tally)
    print()
    print_comparison(tally, checked_names, args.show)


if __name__ == "__main__":
    main()
