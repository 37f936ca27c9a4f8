"""The repository a database holds: how its tags make lines, and where its commits and lines are on the web."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.cache import cached
from app.lines import SCHEME_RULES, Scheme
from app.links import links_rule
from app.models import Repository
from app.settings import get_settings
from app.web_views import ANY_LINE, KERNEL, WebViews

# A database ingested before the repository was recorded showed the kernel's lines and links.
NOT_RECORDED = (
    "the kernel's lines: this database was ingested before nofs recorded a repository's scheme; the next "
    "`nofs ingest` (or `nofs db relines`) records it"
)


@dataclass(frozen=True)
class RepositoryView:
    scheme: Scheme
    rule: str  # the scheme's rule, then why it is this repository's
    remote: str | None
    links: WebViews | None  # stored, with NOFS_COMMIT_URL / NOFS_SOURCE_URL over it; None: no links

    @property
    def links_rule(self) -> str:
        return links_rule(self.links)


def repository(session: Session) -> RepositoryView:
    """As stored, with the settings' link templates over the stored ones (read each time: they are settings)."""
    stored = _stored(session)
    return RepositoryView(stored.scheme, stored.rule, stored.remote, _overridden(stored.links))


@cached
def _stored(session: Session) -> RepositoryView:
    stored = session.get(Repository, 1)
    if stored is None:
        return RepositoryView(Scheme.KERNEL, f"{SCHEME_RULES[Scheme.KERNEL]}; {NOT_RECORDED}", None, KERNEL)
    scheme = Scheme(stored.scheme)
    web = WebViews.from_json(stored.web) if stored.web else None
    return RepositoryView(scheme, f"{SCHEME_RULES[scheme]}; {stored.scheme_rule}", stored.remote, web)


def scheme(session: Session) -> Scheme:
    return repository(session).scheme


def links(session: Session) -> WebViews | None:
    return repository(session).links


def _overridden(web: WebViews | None) -> WebViews | None:
    """The settings' templates over the stored ones: each replaces its part alone."""
    settings = get_settings()
    if settings.commit_url is None and settings.source_url is None:
        return web
    base = web or WebViews("the addresses NOFS_COMMIT_URL and NOFS_SOURCE_URL set")
    sources = {ANY_LINE: {"source": settings.source_url}} if settings.source_url else base.source_urls
    return WebViews(base.name, settings.commit_url or base.commit_url, sources)
