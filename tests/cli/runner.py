"""Running `nofs` as a user does, in the test's process, and reading its one-line errors."""

from click.testing import CliRunner, Result

from cli.main import main


def nofs(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="nofs")


def error_line(result: Result, status: int = 1) -> str:
    """The error: one line, the last on stderr (progress lines may come before it), and no traceback; status 1 for
    what the data cannot answer, 2 for a command line that is not understood."""
    assert result.exit_code == status, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("nofs: error: ")]
    assert errors == lines[-1:], result.stderr
    assert "Traceback" not in result.stderr
    return errors[0]
