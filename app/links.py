"""Every link the dashboard makes, built in one place: to its own pages and API, quoting what it puts in a
URL (a path may hold # ? & % or spaces, a subsystem name a slash), and out to source trees."""

from typing import TYPE_CHECKING
from urllib.parse import quote

from app.web_views import WebViews

if TYPE_CHECKING:  # app.queries imports this module's page addresses
    from app.queries.releases import ReleaseRef

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


def commit_url(links: WebViews | None, oid: str) -> str | None:
    """A commit on the web, where the repository's web views (app/queries/repository.py) put it; None: nowhere."""
    if links is None or links.commit_url is None:
        return None
    return links.commit_url.replace("{commit}", oid)


def source_links(links: WebViews | None, release: "ReleaseRef", path: str, line: int) -> list[tuple[str, str]]:
    """(name, URL) of a source line at a release, in the trees that hold the release's line (the kernel's stable
    tags are in linux-stable, not in torvalds/linux); a moving ref by its commit, having no tag on the web."""
    if links is None:
        return []
    tag = release.commit_id if release.provisional else release.tag
    values = {"tag": quote(tag), "commit": release.commit_id, "path": quote(path), "line": line}
    return [(name, template.format(**values)) for name, template in links.source_templates(release.line).items()]


def links_rule(links: WebViews | None) -> str:
    """Where the links out go, said next to them."""
    if links is None:
        return (
            "not linked: no web view is known for the repository's remote (NOFS_COMMIT_URL and NOFS_SOURCE_URL set one)"
        )
    return f"linked to {links.name}"
