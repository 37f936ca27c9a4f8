"""One settings object, read from the environment once."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.lines import KERNEL_TAG_PATTERN


def _default_database_url() -> str:
    from platformdirs import user_data_dir  # only when DATABASE_URL is not set

    return f"sqlite:///{Path(user_data_dir('nofs')) / 'nofs.sqlite3'}"


def _default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nofs"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOFS_", extra="ignore")

    database_url: str = Field(
        default_factory=_default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "NOFS_DATABASE_URL"),
        description="SQLAlchemy URL; an SQLite file by default, postgresql+psycopg://… in production",
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="where repositories given by URL are mirrored",
    )
    include_globs: tuple[str, ...] = Field(
        default=("*.c", "*.h"),
        description="fnmatch globs on the whole path ('*' crosses '/', as in a git pathspec)",
    )
    tag_pattern: str = Field(default=KERNEL_TAG_PATTERN, description="regular expression for release tags")
    line_max_chars: int = Field(default=240, description="source lines are stored up to this length")
    commit_url: str | None = Field(
        default=None,
        description="where a commit is shown on the web, {commit} its full id (NOFS_COMMIT_URL); by default the "
        "address derived from the repository's remote when it was ingested",
    )
    source_url: str | None = Field(
        default=None,
        description="where a source line is shown on the web, with {tag} {commit} {path} {line} filled in "
        "(NOFS_SOURCE_URL); by default derived from the repository's remote",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
