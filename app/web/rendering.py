"""Rendering pages: the templates, with the globals every page uses."""

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app import charts
from app.assets import asset_dir
from app.change_rules import CHANGE_RULE_TEXT, REMOVALS
from app.context_rules import CONTEXT_COUNT_RULE, CONTEXT_RULE_TEXT, NOFAIL, ROLE_RULES
from app.links import api_url, commit_url, links_rule, release_url, source_links, subsystem_url, tree_url
from app.metrics import METRICS, Count
from app.queries import counts
from app.queries.scopes import SHARE_RULE
from app.registry import IDENTIFIERS, KIND_RULES, RULE_TEXT
from app.scope_rules import FINDING_LABELS, RULE_VERSION, SCOPE_RULE_TEXT

templates = Jinja2Templates(directory=str(asset_dir("templates")))
templates.env.globals.update(
    METRICS=METRICS,
    Count=Count,
    IDENTIFIERS=IDENTIFIERS,
    RULE_TEXT=RULE_TEXT,
    KIND_RULES=KIND_RULES,
    PROJECTION_WINDOW=counts.PROJECTION_WINDOW,
    sparkline=charts.sparkline_points,
    commit_url=commit_url,
    source_links=source_links,
    links_rule=links_rule,
    tree_url=tree_url,
    subsystem_url=subsystem_url,
    release_url=release_url,
    api_url=api_url,
    NOFAIL=NOFAIL,
    ROLE_RULES=ROLE_RULES,
    CONTEXT_RULE_TEXT=CONTEXT_RULE_TEXT,
    CONTEXT_COUNT_RULE=CONTEXT_COUNT_RULE,
    change_rule=CHANGE_RULE_TEXT,
    REMOVALS=REMOVALS,
    FINDING_LABELS=FINDING_LABELS,
    SCOPE_RULE_TEXT=SCOPE_RULE_TEXT,
    SCOPE_RULE_VERSION=RULE_VERSION,
    SCOPE_SHARE_RULE=SHARE_RULE,
)


def render(request: Request, template: str, page: object, status_code: int = 200) -> Response:
    """A page's template drawing its page object (app/web/page_contexts.py), which is all it is given."""
    response = templates.TemplateResponse(request, template, {"page": page}, status_code=status_code)
    response.headers["Vary"] = "HX-Request"
    return response


def render_macro(request: Request, template: str, macro: str, *args: object) -> Response:
    """One macro of a partial alone, as htmx swaps it into a page that drew the same macro: one copy of the markup."""
    markup = getattr(templates.env.get_template(template).module, macro)(*args)
    return HTMLResponse(str(markup), headers={"Vary": "HX-Request"})
