"""Every link the dashboard makes, built in one place: to its own pages and API, quoting what it puts in a
URL (a path may hold # ? & % or spaces, a subsystem name a slash), and out to source trees."""

from urllib.parse import quote

from app.queries.releases import ReleaseRef
from app.settings import get_settings

API = "/api/v1"


def tree_url(path: str) -> str:
    """A directory's or a file's page; the whole tree's for ''."""
    return f"/tree/{quote(path, safe='/')}" if path else "/tree"


def subsystem_url(name: str) -> str:
    return f"/subsystems/{quote(name, safe='')}"


def release_url(tag: str) -> str:
    return f"/releases/{quote(tag, safe='')}"


def api_url(*segments: str) -> str:
    """An API address: each segment quoted, '/' kept inside a path segment (`api_url("files", path, "history")`)."""
    return "/".join([API, *(quote(segment, safe="/") for segment in segments)])


def commit_url(oid: str) -> str:
    """A commit on the web (NOFS_COMMIT_URL)."""
    return get_settings().commit_url.replace("{commit}", oid)


def source_links(release: ReleaseRef, path: str, line: int) -> list[tuple[str, str]]:
    """(name, URL) of a source line at a release, in the trees that hold the release's line: a stable
    tag is in linux-stable, not in torvalds/linux."""
    templates = get_settings().source_urls.get(release.line, {})
    values = {"tag": quote(release.tag), "commit": release.commit_id, "path": quote(path), "line": line}
    return [(name, template.format(**values)) for name, template in templates.items()]
