"""Mirroring a URL: with --since only the selected releases and the history their ingest needs, fetched in
steps that an interruption does not undo; an older --since deepens the mirror."""

import logging
import subprocess
from pathlib import Path

import pygit2
import pytest
from sqlalchemy import Engine

from app.settings import get_settings
from ingest import fetch
from ingest.errors import IngestError
from ingest.fetch import FetchPlan, mirror_path, plan_fetch
from ingest.run import IngestOptions, IngestStats, ingest
from ingest.tags import TagSelection
from tests.dump import dump, wipe
from tests.kernel_like import build_history, selection_of

KERNEL_TAGS = ["v4.10", "v4.11", "v4.11.1", "v4.11.12", "v4.12-rc1", "v4.12", "v4.12.1", "v4.13", "v4.14"]


def remote(names: list[str]) -> dict[str, str]:
    return {name: f"{index:040x}" for index, name in enumerate(names)}


def test_plan_cuts_below_the_mainline_release_before_the_oldest() -> None:
    """v4.11.12 and v4.12-rc1 sort between v4.11 and v4.12 but only v4.11 is sure to be an ancestor of
    the stable releases' branch points; tags are fetched oldest first, in batches."""
    tags = remote(KERNEL_TAGS)
    plan = plan_fetch(tags, {}, TagSelection(include_stable=True, since="v4.12"), None, False, batch=2)
    assert plan == FetchPlan("v4.11", [["v4.12", "v4.12.1"], ["v4.13", "v4.14"]], deepen=False)
    assert plan_fetch(tags, {}, TagSelection(since="v4.10"), None, False).boundary is None  # the first tag


def test_plan_skips_tags_already_fetched_and_refetches_moved_ones() -> None:
    tags = remote(KERNEL_TAGS)
    local = {"v4.12": tags["v4.12"], "v4.13": "f" * 40}
    plan = plan_fetch(tags, local, TagSelection(since="v4.12"), "v4.11", True)
    assert plan == FetchPlan("v4.11", [["v4.13", "v4.14"]], deepen=False)


def test_plan_deepens_for_an_older_since_and_keeps_a_deeper_history() -> None:
    tags = remote(KERNEL_TAGS)
    local = {name: tags[name] for name in ("v4.13", "v4.14")}
    older = plan_fetch(tags, local, TagSelection(since="v4.11"), "v4.12", True)
    assert older == FetchPlan("v4.10", [["v4.11", "v4.12"]], deepen=True)
    newer = plan_fetch(tags, local, TagSelection(since="v4.14"), "v4.12", True)
    assert newer == FetchPlan("v4.12", [], deepen=False)
    assert plan_fetch(tags, local, TagSelection(since="v4.13"), None, True).deepen  # a boundary we cannot tell


def url_ingest(engine: Engine, url: str, since: str, stable: bool = True) -> IngestStats:
    selection = selection_of({"since": since, "include_stable": stable})
    return ingest(engine, IngestOptions(url, get_settings().cache_dir, selection, jobs=1))


def local_dump(engine: Engine, origin: Path, since: str, stable: bool = True) -> dict[str, list[tuple[str, ...]]]:
    """What an ingest of the complete repository stores for the same releases: the oracle."""
    wipe(engine)
    ingest(
        engine,
        IngestOptions(
            str(origin), get_settings().cache_dir, selection_of({"since": since, "include_stable": stable}), jobs=1
        ),
    )
    return dump(engine)


def shallow_commits(repo: Path) -> set[str]:
    return set((repo / "shallow").read_text().split()) if (repo / "shallow").exists() else set()


def test_since_fetches_only_the_history_it_needs_and_counts_as_a_full_ingest(engine: Engine, tmp_path: Path) -> None:
    builder = build_history(tmp_path / "origin")
    url = f"file://{tmp_path / 'origin'}"
    stats = url_ingest(engine, url, "v1.10")
    assert stats.releases_ingested == ["v1.10", "v1.10.1", "v2.0"]
    mirror = mirror_path(get_settings().cache_dir, url)
    repo = pygit2.Repository(str(mirror))
    v1_9 = str(builder.repo.revparse_single("v1.9").peel(pygit2.Commit).id)
    v1_10 = str(builder.repo.revparse_single("v1.10").peel(pygit2.Commit).id)
    assert repo.is_shallow and v1_9 not in repo and v1_10 in repo  # nothing of v1.9's history came
    assert sorted(fetch.local_tags(mirror)) == ["v1.10", "v1.10.1", "v2.0"]  # nor an unselected tag
    from_mirror = dump(engine)
    assert from_mirror == local_dump(engine, tmp_path / "origin", "v1.10")


def test_an_older_since_deepens_the_mirror(engine: Engine, tmp_path: Path) -> None:
    """Mainline only: v1.10.1, where the first mirror is cut, is not a tag fetched again, so only deepening
    the tags already there gives it back its parent."""
    builder = build_history(tmp_path / "origin")
    url = f"file://{tmp_path / 'origin'}"
    commit = {tag: str(builder.repo.revparse_single(tag).peel(pygit2.Commit).id) for tag in ("v1.9", "v1.10")}
    mirror = mirror_path(get_settings().cache_dir, url)
    assert url_ingest(engine, url, "v2.0", stable=False).releases_ingested == ["v2.0"]
    assert commit["v1.10"] not in pygit2.Repository(str(mirror))  # cut below v1.10
    v1_10_1 = str(builder.repo.revparse_single("v1.10.1").peel(pygit2.Commit).id)
    assert shallow_commits(mirror) == {v1_10_1}
    second = url_ingest(engine, url, "v1.10", stable=False)
    assert second.releases_ingested == ["v1.10"] and second.intervals_attributed == 2  # v2.0's again
    repo = pygit2.Repository(str(mirror))
    assert commit["v1.10"] in repo and commit["v1.9"] not in repo
    # v1.10.1 has its parent again: the first-parent line from v2.0 reaches v1.10, no shallow boundary
    assert v1_10_1 not in shallow_commits(mirror)
    assert [str(p) for p in repo[v1_10_1].parent_ids] == [commit["v1.10"]]
    assert dump(engine) == local_dump(engine, tmp_path / "origin", "v1.10", stable=False)


def loose_object(repo: Path, oid: str) -> Path:
    return repo / ".git" / "objects" / oid[:2] / oid[2:]


def test_an_interrupted_fetch_resumes_from_its_last_step(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """One tag a step; v2.0's commit is unreadable in the origin, so its step fails as a dropped connection
    would: the steps before it stay, and a re-run fetches only v2.0 and stores what one run would."""
    builder = build_history(tmp_path / "origin")
    url = f"file://{tmp_path / 'origin'}"
    monkeypatch.setattr(fetch, "FETCH_BATCH", 1)
    broken = loose_object(tmp_path / "origin", str(builder.repo.revparse_single("v2.0").peel(pygit2.Commit).id))
    aside = tmp_path / "aside"
    broken.rename(aside)
    with pytest.raises(IngestError, match=r"fetching v2\.0 from file://"):
        url_ingest(engine, url, "v1.10")
    mirror = mirror_path(get_settings().cache_dir, url)
    assert sorted(fetch.local_tags(mirror)) == ["v1.10", "v1.10.1"]
    assert subprocess.run(["git", "-C", str(mirror), "fsck", "--no-dangling"], capture_output=True).returncode == 0
    aside.rename(broken)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ingest.fetch"):
        stats = url_ingest(engine, url, "v1.10")
    fetched = [r.getMessage() for r in caplog.records if "step" in r.getMessage()]
    assert len(fetched) == 1 and "tags 1-1 of 1 (v2.0 … v2.0)" in fetched[0]
    assert stats.releases_ingested == ["v1.10", "v1.10.1", "v2.0"]
    assert dump(engine) == local_dump(engine, tmp_path / "origin", "v1.10")


def test_a_failed_first_step_leaves_no_mirror(engine: Engine, tmp_path: Path) -> None:
    builder = build_history(tmp_path / "origin")
    url = f"file://{tmp_path / 'origin'}"
    broken = loose_object(tmp_path / "origin", str(builder.repo.revparse_single("v1.10").peel(pygit2.Commit).id))
    aside = tmp_path / "aside"
    broken.rename(aside)
    with pytest.raises(IngestError, match=r"fetching v1\.10, v1\.10\.1, v2\.0 from file://"):
        url_ingest(engine, url, "v1.10")
    mirror = mirror_path(get_settings().cache_dir, url)
    assert not mirror.exists()  # only the .partial one, replaced by the next run
    aside.rename(broken)
    assert url_ingest(engine, url, "v1.10").releases_ingested == ["v1.10", "v1.10.1", "v2.0"]
    assert pygit2.Repository(str(mirror)).is_shallow
    assert dump(engine) == local_dump(engine, tmp_path / "origin", "v1.10")


def test_without_since_a_shallow_mirror_is_completed(engine: Engine, tmp_path: Path) -> None:
    builder = build_history(tmp_path / "origin")
    url = f"file://{tmp_path / 'origin'}"
    url_ingest(engine, url, "v2.0")
    ingest(engine, IngestOptions(url, get_settings().cache_dir, selection_of({}), jobs=1))
    repo = pygit2.Repository(str(mirror_path(get_settings().cache_dir, url)))
    assert not repo.is_shallow and str(builder.repo.revparse_single("v1.9").peel(pygit2.Commit).id) in repo


def test_since_with_a_moving_ref_fetches_the_branch_too(engine: Engine, tmp_path: Path) -> None:
    builder = build_history(tmp_path / "origin")
    files = {**builder.files, "fs/xfs/xfs_buf.c": b"int queued = GFP_NOFS;\n"}
    queued = builder.commit_on([builder.head], files, "xfs: queued", ref="refs/heads/for-next")
    url = f"file://{tmp_path / 'origin'}"
    options = IngestOptions(url, get_settings().cache_dir, TagSelection(since="v1.10"), jobs=1, refs=("for-next",))
    stats = ingest(engine, options)
    assert stats.releases_ingested[-1] == "for-next" and f"for-next at {str(queued)[:12]}" in stats.summary()
    assert str(queued) in pygit2.Repository(str(mirror_path(get_settings().cache_dir, url)))


def test_the_refspec_of_a_moving_ref() -> None:
    remote = {"next-20261119": "a", "next-20261120": "b", "v6.7": "c"}
    assert fetch.ref_refspec("next-*", remote) == "+refs/tags/next-20261120:refs/tags/next-20261120"
    assert fetch.ref_refspec("for-next", remote) == "+refs/heads/for-next:refs/heads/for-next"
    assert fetch.ref_refspec("later-*", remote) is None
