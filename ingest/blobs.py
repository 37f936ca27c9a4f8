"""Read many blobs fast through one long-lived `git cat-file --batch` process.

pygit2's `repo[oid].data` costs about five times as much per blob on a kernel tree (object lookup
and a Python object per blob); cat-file streams contents through one pipe.
"""

import subprocess
from collections.abc import Iterator
from typing import Final

from ingest.errors import IngestError

# Requests are written a chunk at a time before reading answers; a chunk must fit in the pipe
# buffer (64 KiB on Linux), or cat-file and we could wait on each other.
REQUEST_CHUNK: Final = 700
INITIAL_BUFFER: Final = 1 << 20
# Without these, each cat-file maps the whole pack (600 MB for ten kernel releases) into its resident
# memory and keeps a 96 MB delta cache; with them its resident memory stays near 200 MB, at the same speed.
GIT_MEMORY_LIMITS: Final = (
    *("-c", "core.packedGitWindowSize=32m", "-c", "core.packedGitLimit=128m"),
    *("-c", "core.deltaBaseCacheLimit=32m"),
)


class BlobReader:
    def __init__(self, repo_path: str) -> None:
        self.repo_path = repo_path
        self._proc = subprocess.Popen(
            ["git", "-C", repo_path, *GIT_MEMORY_LIMITS, "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._buffer = bytearray(INITIAL_BUFFER)

    def read_many(self, oids: list[str]) -> Iterator[tuple[str, memoryview]]:
        """Each blob's contents, as a view that is only valid until the next one is read.

        Reusing one buffer spares an allocation and its page faults per blob: a tenth of the run time.
        """
        assert self._proc.stdin is not None and self._proc.stdout is not None
        for start in range(0, len(oids), REQUEST_CHUNK):
            chunk = oids[start : start + REQUEST_CHUNK]
            self._proc.stdin.write("".join(f"{oid}\n" for oid in chunk).encode())
            self._proc.stdin.flush()
            for oid in chunk:
                yield oid, self._read_one(oid)

    def _read_one(self, oid: str) -> memoryview:
        stdout = self._proc.stdout
        assert stdout is not None
        header = stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise IngestError(f"object {oid} in {self.repo_path} is missing or unreadable")
        size = int(header[2])
        if len(self._buffer) < size + 1:
            self._buffer = bytearray(max(size + 1, 2 * len(self._buffer)))
        view = memoryview(self._buffer)[: size + 1]
        filled = 0
        while filled < size + 1:
            got = stdout.readinto(view[filled:])
            if not got:
                raise IngestError(f"object {oid} in {self.repo_path} could not be read whole")
            filled += got
        return view[:size]

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> "BlobReader":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
