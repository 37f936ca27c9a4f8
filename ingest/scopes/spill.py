"""A tree's C files on disk, not in memory: the scope reading passes over every file once a round, but keeps
the facts of the few it lexes. A kernel release's C files are 1.3 GB; held as bytes they were most of the
reading's memory. Written once to an unlinked temporary file and read back by offset, they stay in the page
cache the kernel can give back, not in the process."""

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping


class BlobSpill:
    """Blobs by object id, each written once; closed (and gone from the disk) with the run."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="nofs-scopes-")  # noqa: SIM115 - open for the run, closed by close()
        self._where: dict[str, tuple[int, int]] = {}  # oid -> (offset, length)
        self._end = 0

    @property
    def size(self) -> int:
        """Bytes in the file."""
        return self._end

    def __contains__(self, oid: object) -> bool:
        return oid in self._where

    def add(self, blobs: Iterable[tuple[str, bytes]]) -> None:
        for oid, data in blobs:
            if oid in self._where:
                continue
            os.pwrite(self._file.fileno(), data, self._end)
            self._where[oid] = (self._end, len(data))
            self._end += len(data)

    def keep_only(self, oids: set[str]) -> None:
        """Forget the blobs not in `oids` (an earlier release's), rewriting the file once what is forgotten
        outweighs what is kept: a run over a hundred releases stays the size of about two trees on disk."""
        kept = {oid: where for oid, where in self._where.items() if oid in oids}
        live = sum(length for _, length in kept.values())
        if self._end - live <= live:
            return
        old, self._file = self._file, tempfile.TemporaryFile(prefix="nofs-scopes-")  # noqa: SIM115 - as above
        self._where, self._end = {}, 0
        with old:
            self.add((oid, os.pread(old.fileno(), length, offset)) for oid, (offset, length) in kept.items())

    def read(self, oid: str) -> bytes:
        offset, length = self._where[oid]
        return os.pread(self._file.fileno(), length, offset)

    def close(self) -> None:
        self._file.close()


class SpilledTree(Mapping[str, bytes]):
    """{path: bytes} of a tree whose blobs are in a BlobSpill: each file read from the disk when asked for."""

    def __init__(self, spill: BlobSpill, listed: Mapping[str, str]) -> None:
        self._spill, self._listed = spill, dict(listed)  # path -> oid

    def __getitem__(self, path: str) -> bytes:
        return self._spill.read(self._listed[path])

    def __iter__(self) -> Iterator[str]:
        return iter(self._listed)

    def __len__(self) -> int:
        return len(self._listed)
