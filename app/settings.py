"""One settings object, read from the environment once."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.lines import KERNEL_TAG_PATTERN

# Where a source line is shown on the web, per release line (source_urls below).
ELIXIR = "https://elixir.bootlin.com/linux/{tag}/source/{path}#L{line}"
GIT_TREE = "https://git.kernel.org/pub/scm/linux/kernel/git/{tree}.git/tree/{{path}}?h={{tag}}#n{{line}}"
GIT_COMMIT_TREE = "https://git.kernel.org/pub/scm/linux/kernel/git/{tree}.git/tree/{{path}}?id={{commit}}#n{{line}}"


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
    source_urls: dict[str, dict[str, str]] = Field(
        default={
            "mainline": {"elixir": ELIXIR, "git.kernel.org": GIT_TREE.format(tree="torvalds/linux")},
            "rc": {"elixir": ELIXIR, "git.kernel.org": GIT_TREE.format(tree="torvalds/linux")},
            "stable": {"elixir": ELIXIR, "git.kernel.org": GIT_TREE.format(tree="stable/linux")},
            # a moving ref has no tag on the web: its commit, in linux-next (which merges every for-next)
            "ref": {"git.kernel.org": GIT_COMMIT_TREE.format(tree="next/linux-next")},
        },
        description="per release line, link name -> URL of a source line; {tag} {commit} {path} {line} are "
        "filled in (NOFS_SOURCE_URLS, as JSON)",
    )
    commit_url: str = Field(
        # the stable tree holds every mainline commit too, so one address serves final and stable releases
        default="https://git.kernel.org/pub/scm/linux/kernel/git/stable/linux.git/commit/?id={commit}",
        description="where a commit is shown on the web; {commit} is its full id",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
