"""The one error type the CLI turns into a one-line message and a non-zero exit."""


class IngestError(Exception):
    """Bad input or an unusable environment, said in one line."""
