#!/usr/bin/env python3
"""Write a large synthetic kernel-like history with `git fast-import`: topic branches, merges, tags.

    python bench/synthetic_history.py REPO [--commits 20000] [--releases 10] [--seed 1]

Mainline merges topic branches (each forked from an older mainline commit and owning one directory
while it is open, so merges are clean), with a few direct commits, a few conflict-style merges whose
result matches no parent, and renames. Each commit changes one to three files: it adds GFP_NOFS calls,
converts some to memalloc_nofs_save()/restore(), or edits plain lines. Releases are annotated tags
v1.0, v1.1, … spaced evenly along mainline.
"""

import argparse
import random
import subprocess
import sys
from dataclasses import dataclass, field

DIRECTORIES = 120
FILES_PER_DIRECTORY = 12
EPOCH = 1_600_000_000


@dataclass
class File:
    nofs: int
    scoped: int
    plain: int

    def render(self, name: str) -> bytes:
        lines = [f"/* {name}: synthetic */", f"int {name.replace('/', '_').replace('.', '_')}(void)", "{"]
        lines += [f"\tp{i} = kmalloc({i}, GFP_NOFS);" for i in range(self.nofs)]
        lines += [f"\tflags{i} = memalloc_nofs_save();\n\tmemalloc_nofs_restore(flags{i});" for i in range(self.scoped)]
        lines += [f"\tq{i} = {i};" for i in range(self.plain)]
        return ("\n".join([*lines, "\treturn 0;", "}", ""])).encode()


@dataclass
class Branch:
    directory: int
    files: dict[str, File]  # the branch's view of its directory
    commits: int
    mark: int  # tip


@dataclass
class Writer:
    out: "subprocess.Popen[bytes]"
    rng: random.Random
    mark: int = 0
    clock: int = EPOCH
    commits: int = 0
    merges: int = 0
    authors: list[str] = field(default_factory=lambda: [f"Dev {i} <dev{i}@example.invalid>" for i in range(40)])

    def write(self, text: str | bytes) -> None:
        assert self.out.stdin is not None
        self.out.stdin.write(text.encode() if isinstance(text, str) else text)

    def commit(
        self, branch: str, message: str, parents: list[int], changes: dict[str, bytes | None], author: str
    ) -> int:
        self.mark += 1
        self.clock += 60
        self.commits += 1
        self.merges += len(parents) > 1
        data = message.encode()
        self.write(f"commit refs/heads/{branch}\nmark :{self.mark}\n")
        self.write(f"author {author} {self.clock} +0000\ncommitter {author} {self.clock} +0000\n")
        self.write(f"data {len(data)}\n")
        self.write(data + b"\n")
        if parents:
            self.write(f"from :{parents[0]}\n")
        for parent in parents[1:]:
            self.write(f"merge :{parent}\n")
        for path, content in sorted(changes.items()):
            if content is None:
                self.write(f"D {path}\n")
            else:
                self.write(f"M 100644 inline {path}\ndata {len(content)}\n")
                self.write(content + b"\n")
        self.write("\n")
        return self.mark


def _edit(rng: random.Random, file: File) -> None:
    roll = rng.random()
    if roll < 0.35 and file.nofs:
        converted = rng.randint(1, min(3, file.nofs))
        file.nofs -= converted
        file.scoped += 1
    elif roll < 0.6:
        file.nofs += rng.randint(1, 2)
    else:
        file.plain = max(0, file.plain + rng.choice((-2, -1, 1, 2, 3)))


def generate(repo: str, commits: int, releases: int, seed: int) -> tuple[int, int]:
    """Write the history; returns (commits, merges)."""
    subprocess.run(["git", "init", "-q", "--bare", repo], check=True)
    process = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet"], stdin=subprocess.PIPE)
    rng = random.Random(seed)
    w = Writer(process, rng)
    tree: dict[str, File] = {}
    for d in range(DIRECTORIES):
        for f in range(FILES_PER_DIRECTORY):
            tree[f"fs/d{d:03}/f{f:02}.c"] = File(rng.randint(0, 6), 0, rng.randint(0, 20))
    head = w.commit("master", "initial import", [], {p: f.render(p) for p, f in tree.items()}, w.authors[0])
    history = [head]  # mainline commits, oldest first
    tag_every = max(1, commits // releases)
    next_tag, version = tag_every, 0
    w.write(f"tag v1.{version}\nfrom :{head}\ntagger {w.authors[0]} {w.clock} +0000\ndata 9\nLinux 1.0\n")
    open_branches: list[Branch] = []
    busy: set[int] = set()
    sequence = 0
    while w.commits < commits:
        sequence += 1
        roll = rng.random()
        if len(open_branches) < 6 and roll < 0.3:
            directory = rng.choice([d for d in range(DIRECTORIES) if d not in busy])
            busy.add(directory)
            prefix = f"fs/d{directory:03}/"
            fork = rng.choice(history[-20:])
            files = {p: File(f.nofs, f.scoped, f.plain) for p, f in tree.items() if p.startswith(prefix)}
            open_branches.append(Branch(directory, files, 0, fork))
        elif open_branches and roll < 0.85:
            branch = rng.choice(open_branches)
            changed: dict[str, bytes | None] = {}
            for path in rng.sample(sorted(branch.files), min(len(branch.files), rng.randint(1, 3))):
                _edit(rng, branch.files[path])
                changed[path] = branch.files[path].render(path)
            if rng.random() < 0.02:  # a rename within the directory
                old = rng.choice(sorted(branch.files))
                new = old.replace(".c", f"_r{sequence}.c")
                branch.files[new] = branch.files.pop(old)
                changed.pop(old, None)
                changed[old], changed[new] = None, branch.files[new].render(new)
            author = rng.choice(w.authors)
            message = f"d{branch.directory:03}: change {sequence}\n\nLink: https://lore.example/r/{sequence}\n"
            branch.mark = w.commit(f"topic{branch.directory}", message, [branch.mark], changed, author)
            branch.commits += 1
        elif open_branches:
            branch = open_branches.pop(rng.randrange(len(open_branches)))
            busy.discard(branch.directory)
            if not branch.commits:
                continue
            prefix = f"fs/d{branch.directory:03}/"
            changes: dict[str, bytes | None] = {p: None for p in tree if p.startswith(prefix) and p not in branch.files}
            for path, file in branch.files.items():
                old = tree.get(path)
                if old is None or (old.nofs, old.scoped, old.plain) != (file.nofs, file.scoped, file.plain):
                    changes[path] = file.render(path)
            for path in [p for p in tree if p.startswith(prefix)]:
                del tree[path]
            tree.update(branch.files)
            if rng.random() < 0.05:  # the merge resolves a "conflict" in a way no side had
                path = rng.choice(sorted(branch.files))
                tree[path].nofs += 1
                changes[path] = tree[path].render(path)
            message = f"Merge branch 'topic-d{branch.directory:03}' of git://git.example/d{branch.directory:03}"
            head = w.commit("master", message, [head, branch.mark], changes, w.authors[0])
            history.append(head)
        else:
            path = rng.choice(sorted(p for p in tree if int(p[4:7]) not in busy))
            _edit(rng, tree[path])
            head = w.commit("master", f"fix {sequence}", [head], {path: tree[path].render(path)}, w.authors[1])
            history.append(head)
        if w.commits >= next_tag:
            version += 1
            next_tag += tag_every
            note = f"Linux 1.{version}"
            w.write(f"tag v1.{version}\nfrom :{head}\ntagger {w.authors[0]} {w.clock} +0000\n")
            w.write(f"data {len(note)}\n{note}\n")
    assert process.stdin is not None
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    return w.commits, w.merges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--releases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    commits, merges = generate(args.repo, args.commits, args.releases, args.seed)
    print(f"{args.repo}: {commits:,} commits ({merges:,} merges), {args.releases} releases", file=sys.stderr)


if __name__ == "__main__":
    main()
