"""The scope reading's tree on disk: what is written is read back byte for byte, and a long run stays small."""

from ingest.scopes.spill import BlobSpill, SpilledTree


def test_blobs_read_back_as_written_through_the_tree_mapping() -> None:
    spill = BlobSpill()
    blobs = {"a" * 40: b"int x = GFP_NOFS;\n", "b" * 40: b"", "c" * 40: bytes(range(256)) * 3}
    spill.add(blobs.items())
    spill.add([("a" * 40, b"never written: the id is there already")])
    tree = SpilledTree(spill, {"fs/a.c": "a" * 40, "fs/empty.c": "b" * 40, "fs/bin.c": "c" * 40, "fs/b.c": "a" * 40})
    assert dict(tree) == {
        "fs/a.c": blobs["a" * 40],
        "fs/empty.c": b"",
        "fs/bin.c": blobs["c" * 40],
        "fs/b.c": blobs["a" * 40],
    }
    assert len(tree) == 4 and "a" * 40 in spill and "d" * 40 not in spill
    spill.close()


def test_forgotten_blobs_are_dropped_from_the_file_once_they_outweigh_the_kept_ones() -> None:
    spill = BlobSpill()
    for release in range(10):  # each release changes one big file and keeps one small one
        spill.keep_only({"keep" + "0" * 36, f"{release:040d}"})
        spill.add([("keep" + "0" * 36, b"small\n"), (f"{release:040d}", bytes([release]) * 1000)])
    assert spill.read("keep" + "0" * 36) == b"small\n" and spill.read(f"{9:040d}") == bytes([9]) * 1000
    assert f"{0:040d}" not in spill
    assert spill.size <= 2 * (1000 + 6) + 1000  # about two trees, never the ten releases' 10,000 bytes
    spill.close()
