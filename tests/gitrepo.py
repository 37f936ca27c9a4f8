"""Build real git repositories with pygit2 for tests: kernel-like trees, commits and tags."""

import subprocess
from pathlib import Path

import pygit2

SIGNATURE_EMAIL = "dev@example.invalid"
BASE_TIME = 1_700_000_000


class Symlink(bytes):
    """File content that is stored as a symbolic link (mode 120000)."""


def _write_tree(repo: pygit2.Repository, files: dict[str, bytes]) -> pygit2.Oid:
    directories: dict[str, dict[str, bytes]] = {}
    entries: list[tuple[str, pygit2.Oid, int]] = []
    for path, content in files.items():
        head, _, rest = path.partition("/")
        if rest:
            directories.setdefault(head, {})[rest] = content
        else:
            mode = pygit2.GIT_FILEMODE_LINK if isinstance(content, Symlink) else pygit2.GIT_FILEMODE_BLOB
            entries.append((head, repo.create_blob(bytes(content)), mode))
    for name, subtree in directories.items():
        entries.append((name, _write_tree(repo, subtree), pygit2.GIT_FILEMODE_TREE))
    if all(name.isascii() or max(name) < "\udc80" or max(name) > "\udcff" for name, _, _ in entries):
        builder = repo.TreeBuilder()
        for name, oid, mode in entries:
            builder.insert(name, oid, mode)
        return builder.write()
    # pygit2 takes names as UTF-8 only: a name that is not (held with surrogateescape) goes through git
    listing = b"".join(
        f"{mode:06o} {'tree' if mode == pygit2.GIT_FILEMODE_TREE else 'blob'} {oid}\t".encode()
        + name.encode("utf-8", "surrogateescape")
        + b"\0"
        for name, oid, mode in entries
    )
    made = subprocess.run(["git", "-C", repo.path, "mktree", "-z"], input=listing, capture_output=True, check=True)
    return pygit2.Oid(hex=made.stdout.decode().strip())


class RepoBuilder:
    """Each commit is a whole snapshot; `change` makes the next snapshot from the last one."""

    def __init__(self, path: Path, bare: bool = False) -> None:
        self.path = path
        self.repo = pygit2.init_repository(str(path), bare=bare)
        self.files: dict[str, bytes] = {}
        self.head: pygit2.Oid | None = None
        self._clock = BASE_TIME

    def signature(self) -> pygit2.Signature:
        return pygit2.Signature("Dev", SIGNATURE_EMAIL, self._clock, 0)

    def commit(self, files: dict[str, bytes], message: str = "snapshot") -> pygit2.Oid:
        self.files = dict(files)
        self._clock += 86_400
        author = pygit2.Signature("Dev", SIGNATURE_EMAIL, self._clock, 60)
        parents = [self.head] if self.head is not None else []
        self.head = self.repo.create_commit(
            "refs/heads/master", author, author, message, _write_tree(self.repo, self.files), parents
        )
        return self.head

    def commit_on(
        self,
        parents: list[pygit2.Oid],
        files: dict[str, bytes],
        message: str,
        author: str = "Dev",
        ref: str | None = None,
    ) -> pygit2.Oid:
        """A commit of a whole snapshot with the given parents (a merge with two), off `head`."""
        self._clock += 3_600
        signature = pygit2.Signature(author, f"{author.lower().replace(' ', '.')}@example.invalid", self._clock, 0)
        return self.repo.create_commit(ref, signature, signature, message, _write_tree(self.repo, files), parents)

    def merge(self, parents: list[pygit2.Oid], files: dict[str, bytes], message: str) -> pygit2.Oid:
        """A merge commit that becomes the new head of master."""
        self.head = self.commit_on(parents, files, message, author="Linus Torvalds")
        self.repo.references.create("refs/heads/master", self.head, force=True)
        self.files = dict(files)
        return self.head

    def change(self, changes: dict[str, bytes | None], message: str = "change") -> pygit2.Oid:
        files = dict(self.files)
        for path, content in changes.items():
            if content is None:
                files.pop(path, None)
            else:
                files[path] = content
        return self.commit(files, message)

    def tag(self, name: str, annotated: bool = True, target: pygit2.Oid | None = None) -> None:
        target = target or self.head
        assert target is not None
        ref = f"refs/tags/{name}"
        if ref in self.repo.references:
            self.repo.references.delete(ref)
        if annotated:
            tagger = pygit2.Signature("Dev", SIGNATURE_EMAIL, self._clock, 0)
            self.repo.create_tag(name, target, pygit2.GIT_OBJECT_COMMIT, tagger, f"Linux {name}")
        else:
            self.repo.references.create(ref, target)

    def release(self, name: str, changes: dict[str, bytes | None], annotated: bool = True) -> pygit2.Oid:
        commit = self.change(changes, f"Linux {name}")
        self.tag(name, annotated)
        return commit
