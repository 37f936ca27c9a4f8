"""Which deleted file became which added one, by git's rename detection (the only I/O of the change split).

All of an interval's questions go to one `git diff-tree --stdin` (a process per question cost 6 ms each, 959 of
them on the kernel-shaped bench). Its pathspec is the union of the questions' paths, which answers each
question as its own paths alone would: a question's paths are every tracked file its step adds or deletes
(change_kinds.rename_candidates), so the union adds only files the step modified or left alone, and `-M`
pairs deleted files with added ones only (no -C, no -B).
"""

import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from app.change_rules import RENAME_SIMILARITY
from ingest.repo import GIT_PACK_LIMITS

# Above this many bytes of paths a pathspec is left out: git then pairs among all the step's files, within
# its own rename limit (exact renames always). A batch's union stays below it.
PATHSPEC_MAX_BYTES: Final = 64 << 10


@dataclass(frozen=True, slots=True)
class RenameQuestion:
    """Which of `paths` did the step `old` -> `new` (commit ids; "" for a root commit) rename?"""

    old: str
    new: str
    paths: Sequence[str]


def parse_renames(output: bytes) -> dict[str, str]:
    """new path -> old path from `git diff-tree -z -r -M --diff-filter=R` output."""
    steps = parse_steps(output)
    return {new: old for step in steps for new, old in step[1].items()}


def parse_steps(output: bytes) -> list[tuple[str | None, dict[str, str]]]:
    """Each step's header (the commit id `--stdin` prints; None before the first) and its renames, in order,
    read field by field: a record is a `:` status field and one path, or two for a rename or copy."""
    steps: list[tuple[str | None, dict[str, str]]] = [(None, {})]
    fields = output.split(b"\0")
    index = 0
    while index < len(fields):
        field = fields[index]
        if field.startswith(b":"):
            status = field.rsplit(b" ", 1)[-1][:1]
            if status in b"RC" and index + 2 < len(fields):
                if status == b"R":
                    old, new = (f.decode("utf-8", "surrogateescape") for f in fields[index + 1 : index + 3])
                    steps[-1][1][new] = old
                index += 3
            else:
                index += 2
        else:
            if field:
                steps.append((field.decode(), {}))
            index += 1
    return steps if steps[0][1] else steps[1:]


def _bytes(paths: Sequence[str]) -> int:
    return sum(len(p.encode("utf-8", "surrogateescape")) + 1 for p in paths)


def _command(repo_dir: str) -> list[str]:
    return ["git", *GIT_PACK_LIMITS, "--literal-pathspecs", "-C", repo_dir, "diff-tree", "-z", "-r", "--no-abbrev",
            f"-M{RENAME_SIMILARITY}%", "--diff-filter=R"]  # fmt: skip


def renames(repo_dir: str, old: str, new: str, paths: Sequence[str]) -> dict[str, str]:
    """new path -> old path for files git pairs as renamed between two revisions, among `paths`."""
    if not old:
        return {}
    command = [*_command(repo_dir), old, new]
    if _bytes(paths) <= PATHSPEC_MAX_BYTES:
        command += ["--", *paths]
    return _among(parse_renames(subprocess.run(command, capture_output=True, check=True).stdout), paths)


def _batches(questions: Sequence[RenameQuestion]) -> Iterator[list[int]]:
    """Indexes of the questions to ask together: in order, each batch's union of paths within the pathspec limit."""
    batch: list[int] = []
    union: set[str] = set()
    size = 0
    for index, question in enumerate(questions):
        new_paths = [p for p in question.paths if p not in union]
        if batch and size + _bytes(new_paths) > PATHSPEC_MAX_BYTES:
            yield batch
            batch, union, size = [], set(), 0
            new_paths = list(dict.fromkeys(question.paths))
        batch.append(index)
        union.update(new_paths)
        size += _bytes(new_paths)
    if batch:
        yield batch


def _ask_together(repo_dir: str, questions: Sequence[RenameQuestion]) -> list[dict[str, str]]:
    """One `git diff-tree --stdin` for questions whose union of paths fits a pathspec; answers in order.
    `--always` prints every step's header, renames or not, so that the n-th header answers the n-th line."""
    union = sorted({path for question in questions for path in question.paths})
    lines = "".join(f"{q.new} {q.old}\n" for q in questions)
    command = [*_command(repo_dir), "--stdin", "--always", "--", *union]
    steps = parse_steps(subprocess.run(command, input=lines.encode(), capture_output=True, check=True).stdout)
    if [header for header, _ in steps] != [q.new for q in questions]:
        raise RuntimeError(f"git diff-tree --stdin answered {len(steps)} steps for {len(questions)} rename questions")
    return [_among(found, question.paths) for question, (_, found) in zip(questions, steps, strict=True)]


def _among(found: dict[str, str], paths: Sequence[str]) -> dict[str, str]:
    wanted = set(paths)
    return {new: old for new, old in found.items() if new in wanted}


def renames_of(repo_dir: str, questions: Sequence[RenameQuestion]) -> list[dict[str, str]]:
    """Each question's renames (new path -> old path, among its paths), in order, with as few git processes as
    the pathspec limit allows: a question whose own paths exceed it is asked alone, without a pathspec."""
    answers: list[dict[str, str]] = [{} for _ in questions]
    batchable = [i for i, q in enumerate(questions) if q.old and _bytes(q.paths) <= PATHSPEC_MAX_BYTES]
    for index in sorted(set(range(len(questions))) - set(batchable)):
        question = questions[index]
        answers[index] = renames(repo_dir, question.old, question.new, question.paths)
    for batch in _batches([questions[i] for i in batchable]):
        members = [batchable[i] for i in batch]
        for index, answer in zip(members, _ask_together(repo_dir, [questions[i] for i in members]), strict=True):
            answers[index] = answer
    return answers
