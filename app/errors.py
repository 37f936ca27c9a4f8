"""The read side's one error a user can cause: asking for something the database does not hold."""


class NotFound(LookupError):
    """A release, path or subsystem the database does not know."""
