"""Read many blobs fast, straight from the repository's packs with dulwich.

On the ten Debian kernel releases, reading every .c/.h blob of one tree takes 3.7 s through dulwich's
object store, 5.7 s through one `git cat-file --batch` process (87 % of which is zlib, plus the pipe)
and about 25 s through pygit2's `repo[oid].data`. dulwich finds objects in every pack, loose objects
and alternates, and reads the repository's object format from its config.
"""

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final, cast

from dulwich.errors import ApplyDeltaError, ChecksumMismatch, NotGitRepository
from dulwich.repo import Repo

from ingest.errors import IngestError

if TYPE_CHECKING:
    from dulwich.objects import ObjectID

BLOB: Final = 3  # git's object type number
# Bases of delta chains kept per reader: the kernel's chains run to 50 deep, and a path's versions
# share one chain, so the chunks of path-ordered blobs a worker reads reuse them.
DELTA_BASE_CACHE: Final = 32 << 20
# dulwich maps whole packs; the pages a reader has touched stay in its memory until it unmaps them.
# Reopening the store after this much output keeps a worker near 200 MB at the same speed.
REOPEN_AFTER_BYTES: Final = 256 << 20


class BlobReader:
    def __init__(self, repo_path: str) -> None:
        self.repo_path = repo_path
        self._open()

    def _open(self) -> None:
        try:
            self._repo = Repo(self.repo_path)
        except NotGitRepository as exc:
            raise IngestError(f"{self.repo_path} is not a git repository") from exc
        self._store = self._repo.object_store
        self._store.delta_base_cache_limit = DELTA_BASE_CACHE
        self._read_since_open = 0

    def read_many(self, oids: list[str]) -> Iterator[tuple[str, bytes]]:
        """Each blob's contents, in the order asked."""
        if self._read_since_open > REOPEN_AFTER_BYTES:
            self.close()
            self._open()
        get_raw = self._store.get_raw
        for oid in oids:
            try:
                kind, data = get_raw(cast("ObjectID", oid.encode()))
            except (KeyError, OSError, ValueError, zlib.error, ApplyDeltaError, ChecksumMismatch) as exc:
                raise IngestError(f"object {oid} in {self.repo_path} is missing or unreadable") from exc
            if kind != BLOB:
                raise IngestError(f"object {oid} in {self.repo_path} is not a blob")
            self._read_since_open += len(data)
            yield oid, data

    def close(self) -> None:
        self._repo.close()

    def __enter__(self) -> "BlobReader":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
