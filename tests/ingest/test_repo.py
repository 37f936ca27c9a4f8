import subprocess
from pathlib import Path

import pytest
from sqlalchemy import Engine

from app.settings import get_settings
from ingest.errors import IngestError
from ingest.fetch import mirror_path
from ingest.refs import TaggedCommit, described, is_url, locate, peeled_tags, tag_names
from ingest.repo import open_repository, resolve_tag
from ingest.run import IngestOptions, ingest
from tests.dump import RELEASE_TABLES, dump, wipe
from tests.kernel_like import WITH_STABLE, build_history, build_torvalds_oddities


def test_url_forms() -> None:
    assert is_url("https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git")
    assert is_url("git@github.com:torvalds/linux.git") and is_url("file:///srv/linux")
    assert not is_url("/home/me/linux") and not is_url("linux")


def test_url_is_mirrored_then_fetched_again(engine: Engine, tmp_path: Path) -> None:
    builder = build_history(tmp_path / "origin")
    url = f"file://{tmp_path / 'origin'}"
    cache = get_settings().cache_dir
    first = ingest(engine, IngestOptions(url, cache, WITH_STABLE, jobs=1))
    assert first.releases_ingested == ["v1.9", "v1.10", "v1.10.1", "v2.0"]
    mirror = mirror_path(cache, url)
    assert (mirror / "HEAD").exists() and not (mirror / ".git").exists()  # a bare mirror
    builder.release("v2.1", {"fs/new.c": b"int n = GFP_NOFS;\n"})
    second = ingest(engine, IngestOptions(url, cache, WITH_STABLE, jobs=1))
    assert second.releases_ingested == ["v2.1"] and second.releases_unchanged == 4


def test_bare_and_non_bare_clones_give_the_same_result(engine: Engine, tmp_path: Path) -> None:
    build_history(tmp_path / "work")
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "work"), str(tmp_path / "bare.git")], check=True)
    assert not open_repository(locate(str(tmp_path / "work"), tmp_path)).is_bare
    assert open_repository(locate(str(tmp_path / "bare.git"), tmp_path)).is_bare
    ingest(engine, IngestOptions(str(tmp_path / "work"), tmp_path, jobs=1))
    from_work = dump(engine)
    wipe(engine, RELEASE_TABLES)
    ingest(engine, IngestOptions(str(tmp_path / "bare.git"), tmp_path, jobs=2))
    assert dump(engine) == from_work


def test_unreachable_url_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cloning file:///nonexistent failed"):
        locate("file:///nonexistent", tmp_path)


def test_git_peels_tags_as_libgit2_does(tmp_path: Path) -> None:
    """The no-op path reads tags with one `git for-each-ref`; what it cannot peel in one step, libgit2 does."""
    build_torvalds_oddities(tmp_path / "linux")
    git_dir = locate(str(tmp_path / "linux"), tmp_path)
    repo = open_repository(git_dir)
    peeled = peeled_tags(git_dir)
    assert set(peeled) == set(tag_names(git_dir))
    for name, found in peeled.items():
        if found is None:
            assert repo.references[f"refs/tags/{name}"].peel(None).type_str == "commit"  # through a tag of a tag
            continue
        if isinstance(found, TaggedCommit):  # its tree and date are read for a release to ingest
            [found] = described(git_dir, [found])
        assert found == resolve_tag(repo, name), name
    assert [name for name, found in peeled.items() if found is None] == ["v2.6.13"]  # the tag of a tag
