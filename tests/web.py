"""Reading the dashboard as a test does: a client of a fresh app on the database DATABASE_URL names, and a page's
text as a reader sees it."""

import re

from fastapi.testclient import TestClient

from app import cache
from app.db import get_engine
from app.main import create_app
from app.settings import get_settings


def fresh_client() -> TestClient:
    """A client of a new app: settings, engine and query cache read afresh (DATABASE_URL may have changed)."""
    get_settings.cache_clear()
    get_engine.cache_clear()
    cache.clear()
    return TestClient(create_app())


def text_of(html: str) -> str:
    """A page's words, tags taken out and blanks folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
