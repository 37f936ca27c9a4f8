"""Where a repository's commits and source lines are on the web, derived from its remote's URL. Pure.

GitHub, GitLab, cgit (git.kernel.org's other trees included) and gitweb shapes are known; the kernel's own
trees (torvalds/linux, linux-stable, wherever mirrored) get git.kernel.org per release line and Elixir, which
indexes only the kernel. A remote of no known shape (a local path, an unknown host) gets no links: no link
is better than a wrong one.
"""

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

# Fields a template may use: {commit} (the full id); for a source line also {tag}, {path} and {line}.
ELIXIR = "https://elixir.bootlin.com/linux/{tag}/source/{path}#L{line}"
KERNEL_ORG = "https://git.kernel.org/pub/scm/linux/kernel/git"
ANY_LINE = "*"  # source_urls' key for every release line


@dataclass(frozen=True)
class WebViews:
    """`name` (shown: "GitHub", "git.kernel.org"), a commit's URL template, and per release line (app.lines.Line,
    or ANY_LINE) link name -> a source line's URL template."""

    name: str
    commit_url: str | None = None
    source_urls: dict[str, dict[str, str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "commit_url": self.commit_url, "source_urls": self.source_urls}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> "WebViews":
        return cls(stored["name"], stored.get("commit_url"), dict(stored.get("source_urls") or {}))

    def source_templates(self, line: str) -> dict[str, str]:
        return self.source_urls.get(line) or self.source_urls.get(ANY_LINE, {})


def _kernel_tree(tree: str) -> str:
    return f"{KERNEL_ORG}/{tree}.git/tree/{{path}}?h={{tag}}#n{{line}}"


KERNEL = WebViews(
    "git.kernel.org and Elixir",
    # the stable tree holds every mainline commit too, so one address serves final and stable releases
    f"{KERNEL_ORG}/stable/linux.git/commit/?id={{commit}}",
    {
        "mainline": {"elixir": ELIXIR, "git.kernel.org": _kernel_tree("torvalds/linux")},
        "rc": {"elixir": ELIXIR, "git.kernel.org": _kernel_tree("torvalds/linux")},
        "stable": {"elixir": ELIXIR, "git.kernel.org": _kernel_tree("stable/linux")},
        # a moving ref has no tag on the web: its commit, in linux-next (which merges every for-next)
        "ref": {"git.kernel.org": f"{KERNEL_ORG}/next/linux-next.git/tree/{{path}}?id={{commit}}#n{{line}}"},
    },
)

# The kernel's own trees, on any host: the last two parts of the remote's path.
KERNEL_TREES = frozenset({"torvalds/linux", "stable/linux", "stable/linux-stable", "gregkh/linux", "next/linux-next"})
_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>(?!//).+)$")  # git@github.com:owner/repo.git


def _host_and_path(remote: str) -> tuple[str, str] | None:
    """The web host and the repository's path (no `.git`, no slashes around) of a remote URL; None for a
    local path."""
    if "://" in remote:
        parts = urlsplit(remote)
        if parts.scheme == "file" or not parts.hostname:
            return None
        host, path = parts.hostname.lower(), parts.path
    else:
        scp = _SCP.match(remote)
        if scp is None or "/" in scp["host"]:
            return None
        host, path = scp["host"].lower(), scp["path"]
    path = path.strip("/").removesuffix(".git").strip("/")
    return (host, path) if path else None


def _https(host: str, path: str, view: str, commit: str, source: str) -> WebViews:
    base = f"https://{host}/{path}"
    return WebViews(view, f"{base}/{commit}", {ANY_LINE: {view: f"{base}/{source}"}})


def _github(host: str, path: str) -> WebViews:
    return _https(host, path, "GitHub", "commit/{commit}", "blob/{tag}/{path}#L{line}")


def _gitlab(host: str, path: str) -> WebViews:
    return _https(host, path, "GitLab", "-/commit/{commit}", "-/blob/{tag}/{path}#L{line}")


def _cgit(host: str, path: str) -> WebViews:
    return _https(host, f"{path}.git", host, "commit/?id={commit}", "tree/{path}?h={tag}#n{line}")


def _gitweb(host: str, path: str) -> WebViews:
    base = f"https://{host}/?p={path}.git"
    return WebViews(
        host, f"{base};a=commit;h={{commit}}", {ANY_LINE: {host: f"{base};a=blob;f={{path}};hb={{tag}}#l{{line}}"}}
    )


def from_remote(remote: str | None) -> WebViews | None:
    """The web views of a repository whose remote is `remote`; None when none is known."""
    found = _host_and_path(remote) if remote else None
    if found is None:
        return None
    host, path = found
    if "/".join(path.split("/")[-2:]) in KERNEL_TREES:
        return KERNEL
    if host == "github.com":
        return _github(host, path)
    if host == "gitlab.com" or host.startswith("gitlab.") or host == "salsa.debian.org":
        return _gitlab(host, path)
    if host == "git.kernel.org":  # cgit; git:// and https:// remotes share the path under /pub/scm
        return _cgit(host, path if path.startswith("pub/scm/") else f"pub/scm/{path}")
    if host.startswith("cgit.") or path.startswith("cgit/"):
        return _cgit(host, path)
    if host == "repo.or.cz" or host.startswith("gitweb."):
        return _gitweb(host, path.removeprefix("r/"))
    return None
