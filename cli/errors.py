"""The errors a user of the command line can cause: one line on stderr, exit status 1."""

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import click

P = ParamSpec("P")
R = TypeVar("R")


class Fail(click.ClickException):
    """A user's error, said in one line."""

    def show(self, file: Any = None) -> None:
        click.echo(f"nofs: error: {self.message}", err=True)


def one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can cause (a release, place or repository that is not there, a bad combination of
    options, a database that does not answer) into one line and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from sqlalchemy.exc import OperationalError

        from app.db import safe_url
        from app.errors import BadParameter, NotFound
        from app.settings import get_settings
        from ingest.errors import IngestError

        try:
            return func(*args, **kwargs)
        except (IngestError, NotFound, BadParameter) as exc:
            raise Fail(str(exc).strip('"')) from exc
        except OperationalError as exc:
            url = safe_url(get_settings().database_url)
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise Fail(f"cannot use the database {url}: {reason}") from exc

    return wrapper


USAGE_ERROR = 2  # a command line that is not understood, as Unix tools say it


class UsageFail(Fail):
    """A command line that is not understood (an unknown option, a bad choice, a missing argument), in one line
    that names the command's --help."""

    exit_code = USAGE_ERROR


def _one_line(exc: click.UsageError) -> click.ClickException:
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # a group asked for alone: its help is the answer
        return exc
    where = exc.ctx.command_path if exc.ctx is not None else "nofs"
    return UsageFail(f"{exc.format_message()} (see {where} --help)")


class OneLineGroup(click.Group):
    """The top command group: every usage error below it, however deep the subcommand, is said in one line."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _one_line(exc) from exc

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc) from exc
