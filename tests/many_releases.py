"""A history long enough to stop an ingest in the middle of: twelve releases of 240 files, each release
rewriting a fifth of them, some holding tracked names and some not."""

from pathlib import Path

from tests.kernel_like import kernel_repository

RELEASES = 12
FILES = 240


def source(release: int, index: int) -> bytes:
    # every release rewrites a fifth of the files; some hold tracked names, some do not
    generation = release if index % 5 == release % 5 else 0
    body = "".join(f"\tp{k} = kmalloc({generation}, GFP_NOFS); /* GFP_NOIO */\n" for k in range(index % 4))
    return f"int f{index}_{generation}(void)\n{{\n{body}\treturn 0;\n}}\n".encode() + b"x" * 2000


def build(path: Path) -> None:
    """v1.1 … v1.12, every other tag annotated, eight MAINTAINERS areas."""
    repo = kernel_repository(path)
    maintainers = b"".join(f"AREA {d}\nS:\tMaintained\nF:\tdir{d}/\n\n".encode() for d in range(8))
    for release in range(1, RELEASES + 1):
        files = {f"dir{i % 8}/sub{i % 3}/file{i}.c": source(release, i) for i in range(FILES)}
        repo.commit({"MAINTAINERS": maintainers, **files}, f"v1.{release}")
        repo.tag(f"v1.{release}", annotated=release % 2 == 0)
