"""Links out of the dashboard, built in one place from the settings."""

from urllib.parse import quote

from app.queries import ReleaseRef
from app.settings import get_settings


def source_links(release: ReleaseRef, path: str, line: int) -> list[tuple[str, str]]:
    """(name, URL) of a source line at a release, in the trees that hold the release's line: a stable
    tag is in linux-stable, not in torvalds/linux."""
    templates = get_settings().source_urls.get(release.line, {})
    values = {"tag": quote(release.tag), "commit": release.commit_id, "path": quote(path), "line": line}
    return [(name, template.format(**values)) for name, template in templates.items()]
