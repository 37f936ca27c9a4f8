#!/usr/bin/env python3
"""Write a large synthetic kernel-like history with `git fast-import`: topic branches, merges, tags.

    python bench/synthetic_history.py REPO [--commits 20000] [--releases 10] [--prehistory 5000]
                                           [--recent-forks] [--seed 1]

Mainline merges topic branches, with a few direct commits (some of them renames), a few conflict-style
merges whose result matches no parent, and, before the first release tag v1.0, `--prehistory` commits of
the same shape that no interval walks but every merge base search may cross. Releases v1.0, v1.1, …
are annotated tags spaced `--commits` / `--releases` commits apart.

Each file holds SECTIONS functions, and a topic branch owns one section of one directory's files while
it is open; mainline and other branches keep changing the other sections. So a merge often leaves a
file unlike both parents (a clean textual merge, each side changed a different function), and its
own change needs the merge base. By default a branch is merged only after a release tag has passed
since it forked, as kernel topic branches fork from an rc of the previous cycle: merge bases lie before
the previous release. `--recent-forks` merges branches at any time (forks a few commits old).

Each commit changes one to three files' sections: it adds GFP_NOFS calls, converts some to
memalloc_nofs_save()/restore(), or edits plain lines.
"""

import argparse
import random
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DIRECTORIES = 400
FILES_PER_DIRECTORY = 6
SECTIONS = 3
OPEN_BRANCHES = {True: 600, False: 6}  # at most, with old forks / recent forks
EPOCH = 1_600_000_000


@dataclass
class Section:
    nofs: int
    scoped: int
    plain: int

    def copy(self) -> "Section":
        return Section(self.nofs, self.scoped, self.plain)

    def lines(self, function: str) -> list[str]:
        # Fixed lines around each body keep a change in one section apart from the next for git's merge.
        body = [f"\tp{i} = kmalloc({i}, GFP_NOFS);" for i in range(self.nofs)]
        body += [f"\tflags{i} = memalloc_nofs_save();\n\tmemalloc_nofs_restore(flags{i});" for i in range(self.scoped)]
        body += [f"\tq{i} = {i};" for i in range(self.plain)]
        return [f"int {function}(void)", "{", "\tint unused;", *body, "\treturn 0;", "}", ""]


def render(path: str, sections: list[Section]) -> bytes:
    name = path.replace("/", "_").replace(".", "_")
    lines = [f"/* {path}: synthetic */", ""]
    for index, section in enumerate(sections):
        lines += section.lines(f"{name}_{index}")
    return "\n".join(lines).encode()


@dataclass
class Branch:
    key: tuple[int, int]  # (directory, section) it owns
    files: dict[str, Section]  # its section of the directory's files
    forked: dict[str, list[Section]]  # the directory's files where it forked: the other sections stay so
    cycle: int  # the release cycle it forked in
    commits: int
    mark: int  # tip

    @property
    def name(self) -> str:
        return f"topic{self.key[0]}-{self.key[1]}"

    def render(self, path: str) -> bytes:
        """The file as the branch has it: its own section, the others as they were where it forked."""
        owned = self.key[1]
        return render(path, [self.files[path] if i == owned else s for i, s in enumerate(self.forked[path])])


@dataclass
class Writer:
    out: "subprocess.Popen[bytes]"
    mark: int = 0
    clock: int = EPOCH
    commits: int = 0
    merges: int = 0
    authors: list[str] = field(default_factory=lambda: [f"Dev {i} <dev{i}@example.invalid>" for i in range(40)])

    def write(self, text: str | bytes) -> None:
        assert self.out.stdin is not None
        self.out.stdin.write(text.encode() if isinstance(text, str) else text)

    def blob(self, content: bytes) -> str:
        """Write a blob on its own, to be named by several commits; returns its data reference (":mark")."""
        self.mark += 1
        self.write(f"blob\nmark :{self.mark}\ndata {len(content)}\n")
        self.write(content + b"\n")
        return f":{self.mark}"

    def commit(
        self,
        branch: str,
        message: str,
        parents: Sequence[int | str],
        changes: Mapping[str, bytes | str | None],
        author: str,
    ) -> int:
        """Parents are marks or commit ids; a change is content, a data reference (":mark", a blob id) or None."""
        self.mark += 1
        self.clock += 60
        self.commits += 1
        self.merges += len(parents) > 1
        data = message.encode()
        self.write(f"commit refs/heads/{branch}\nmark :{self.mark}\n")
        self.write(f"author {author} {self.clock} +0000\ncommitter {author} {self.clock} +0000\n")
        self.write(f"data {len(data)}\n")
        self.write(data + b"\n")
        for index, parent in enumerate(parents):
            self.write(f"{'merge' if index else 'from'} {f':{parent}' if isinstance(parent, int) else parent}\n")
        for path, content in sorted(changes.items()):
            if content is None:
                self.write(f"D {path}\n")
            elif isinstance(content, str):
                self.write(f"M 100644 {content} {path}\n")
            else:
                self.write(f"M 100644 inline {path}\ndata {len(content)}\n")
                self.write(content + b"\n")
        self.write("\n")
        return self.mark

    def oid(self, mark: int) -> str | None:
        """The commit id of a mark written before, asked of fast-import (`get-mark`); None when its output is
        not read."""
        if self.out.stdin is None or self.out.stdout is None:
            return None
        self.write(f"get-mark :{mark}\n")
        self.out.stdin.flush()
        return self.out.stdout.readline().decode().strip()

    def tag(self, name: str, mark: int) -> None:
        note = f"Linux {name.removeprefix('v')}"
        self.write(f"tag {name}\nfrom :{mark}\ntagger {self.authors[0]} {self.clock} +0000\n")
        self.write(f"data {len(note)}\n{note}\n")


def _edit(rng: random.Random, section: Section) -> None:
    roll = rng.random()
    if roll < 0.35 and section.nofs:
        converted = rng.randint(1, min(3, section.nofs))
        section.nofs -= converted
        section.scoped += 1
    elif roll < 0.6:
        section.nofs += rng.randint(1, 2)
    else:
        section.plain = max(0, section.plain + rng.choice((-2, -1, 1, 2, 3)))


def initial_tree(rng: random.Random) -> dict[str, list[Section]]:
    """Every file of every directory, each section with a few GFP_NOFS calls and plain lines."""
    tree: dict[str, list[Section]] = {}
    for d in range(DIRECTORIES):
        for f in range(FILES_PER_DIRECTORY):
            tree[f"fs/d{d:03}/f{f:02}.c"] = [Section(rng.randint(0, 3), 0, rng.randint(0, 8)) for _ in range(SECTIONS)]
    return tree


class History:
    """One run of `generate`: mainline's files and head, the open topic branches, the releases tagged so far."""

    def __init__(
        self, writer: Writer, seed: int, commits: int, releases: int, prehistory: int, old_forks: bool, fixes: float
    ) -> None:
        self.writer = writer
        self.rng = random.Random(seed)
        self.trailers = random.Random(seed + 1)  # for Fixes: trailers alone (see generate)
        self.fixes = fixes
        self.releases = releases
        self.prehistory = prehistory
        self.cycle_length = max(1, commits // releases)
        self.old_forks = old_forks
        self.tree = initial_tree(self.rng)
        contents = {p: render(p, s) for p, s in self.tree.items()}
        self.head = writer.commit("master", "initial import", [], contents, writer.authors[0])
        self.version = -1  # the last release tagged
        self.branches: list[Branch] = []
        self.busy: set[tuple[int, int]] = set()  # the (directory, section) keys of the open branches
        self.sequence = 0

    def cycle(self) -> int:
        """The release cycle mainline is in; those before v1.0 are untagged: negative."""
        return (self.writer.commits - self.prehistory) // self.cycle_length

    def tag_if_due(self) -> None:
        while self.version < self.releases and self.cycle() > self.version:
            self.version += 1
            self.writer.tag(f"v1.{self.version}", self.head)

    def step(self) -> None:
        """One roll: open a topic branch, commit to one, merge one, or change mainline directly; a step may
        write nothing (the directory and section it picked are taken)."""
        self.sequence += 1
        roll = self.rng.random()
        mergeable = [
            i for i, b in enumerate(self.branches) if b.commits and (not self.old_forks or b.cycle < self.cycle())
        ]
        if len(self.branches) < OPEN_BRANCHES[self.old_forks] and roll < 0.2:
            self._open_branch()
        elif self.branches and roll < 0.6:
            self._branch_commit(self.rng.choice(self.branches))
        elif mergeable and roll < 0.9:
            self._merge(self.branches.pop(self.rng.choice(mergeable)))
        else:
            self._mainline_commit()
        self.tag_if_due()

    def _fixes_trailer(self) -> str:
        if not self.fixes or self.trailers.random() >= self.fixes:
            return ""
        return f'Fixes: {self.trailers.getrandbits(48):012x} ("an earlier change")\n'

    def _paths_in(self, directory: int) -> list[str]:
        prefix = f"fs/d{directory:03}/"
        return sorted(p for p in self.tree if p.startswith(prefix))

    def _open_branch(self) -> None:
        key = (self.rng.randrange(DIRECTORIES), self.rng.randrange(SECTIONS))
        if key in self.busy:
            return
        self.busy.add(key)
        forked = {p: [s.copy() for s in self.tree[p]] for p in self._paths_in(key[0])}
        files = {p: sections[key[1]].copy() for p, sections in forked.items()}
        self.branches.append(Branch(key, files, forked, self.cycle(), 0, self.head))

    def _branch_commit(self, branch: Branch) -> None:
        changed: dict[str, bytes | str | None] = {}
        for path in self.rng.sample(sorted(branch.files), min(len(branch.files), self.rng.randint(1, 3))):
            _edit(self.rng, branch.files[path])
            changed[path] = branch.render(path)
        author = self.rng.choice(self.writer.authors)
        message = (
            f"d{branch.key[0]:03}.{branch.key[1]}: change {self.sequence}\n\n{self._fixes_trailer()}"
            f"Link: https://lore.example/r/{self.sequence}\n"
        )
        branch.mark = self.writer.commit(branch.name, message, [branch.mark], changed, author)
        branch.commits += 1

    def _merge(self, branch: Branch) -> None:
        self.busy.discard(branch.key)
        directory, owned = branch.key
        changes: dict[str, bytes | str | None] = {}
        conflict = self.rng.choice(sorted(branch.files)) if self.rng.random() < 0.05 else None
        for path, section in branch.files.items():
            if path == conflict:  # the merge resolves a "conflict" in a way no side had
                section.nofs += 1
            if self.tree[path][owned] != section:
                self.tree[path][owned] = section
                changes[path] = render(path, self.tree[path])
        message = f"Merge branch 'topic-d{directory:03}.{owned}' of git://git.example/d{directory:03}"
        self.head = self.writer.commit("master", message, [self.head, branch.mark], changes, self.writer.authors[0])

    def _mainline_commit(self) -> None:
        """A fix on mainline in a section no branch owns, or now and then a file renamed in a quiet directory."""
        directory, section = self.rng.randrange(DIRECTORIES), self.rng.randrange(SECTIONS)
        if (directory, section) in self.busy:
            return
        changes: dict[str, bytes | str | None] = {}
        if self.rng.random() < 0.05 and not any((directory, s) in self.busy for s in range(SECTIONS)):
            old = self.rng.choice(self._paths_in(directory))
            path = old.replace(".c", f"_r{self.sequence}.c")
            self.tree[path] = self.tree.pop(old)
            changes[old] = None
        else:
            path = self.rng.choice(self._paths_in(directory))
            _edit(self.rng, self.tree[path][section])
        changes[path] = render(path, self.tree[path])
        trailer = self._fixes_trailer()
        message = f"fix {self.sequence}\n\n{trailer}" if trailer else f"fix {self.sequence}"
        self.head = self.writer.commit("master", message, [self.head], changes, self.writer.authors[1])


def generate(
    repo: str,
    commits: int,
    releases: int,
    seed: int,
    prehistory: int = 5_000,
    old_forks: bool = True,
    fixes: float = 0.0,
) -> tuple[int, int]:
    """Write the history: `prehistory` commits, then v1.0 and `commits` more; returns (commits, merges).

    `fixes`: the share of non-merge commits whose message ends in a `Fixes:` trailer (the kernel's: about a
    fifth). fast-import gives no commit ids while it writes, so each names 12 random hex digits, which resolve
    to no commit: the ingest reads, resolves and stores them all the same. Drawn from a generator of their
    own, so that the history is the same one with or without them."""
    subprocess.run(["git", "init", "-q", "--bare", repo], check=True)
    process = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    history = History(Writer(process), seed, commits, releases, prehistory, old_forks, fixes)
    history.tag_if_due()  # v1.0 on the initial import when there is no prehistory
    while history.writer.commits < prehistory + commits:
        history.step()
    assert process.stdin is not None
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    return history.writer.commits, history.writer.merges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("--commits", type=int, default=20_000, help="from the first release tag to the last")
    parser.add_argument("--releases", type=int, default=10)
    parser.add_argument("--prehistory", type=int, default=5_000, help="commits before the first release tag")
    parser.add_argument("--recent-forks", action="store_true", help="merge topic branches at any time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fixes", type=float, default=0.0, help="share of non-merge commits with a Fixes: trailer")
    args = parser.parse_args()
    commits, merges = generate(
        args.repo,
        args.commits,
        args.releases,
        args.seed,
        args.prehistory,
        old_forks=not args.recent_forks,
        fixes=args.fixes,
    )
    print(f"{args.repo}: {commits:,} commits ({merges:,} merges), {args.releases} releases", file=sys.stderr)


if __name__ == "__main__":
    main()
