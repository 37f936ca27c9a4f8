"""The read side's errors a user can cause: asking for something the database does not hold, or for a
combination the data cannot answer."""


class NotFound(LookupError):
    """A release, path or subsystem the database does not know: a 404 page or JSON error."""


class BadParameter(ValueError):
    """A parameter outside its allowed values, or two that make no sense together: a 422 page or JSON error."""
