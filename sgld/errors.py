"""The project's own errors.  Every message is Chinese and meant for the user."""


class SgldError(Exception):
    """Base class: ``str(err)`` is a complete Chinese sentence for the user."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(SgldError):
    """Bad input: nothing was changed."""


class PermissionDenied(SgldError):
    """The actor's role or department may not do this."""


class NotFound(SgldError):
    """The record does not exist (or is outside the actor's data scope)."""


class StateError(SgldError):
    """The requested state transition is not allowed."""


class AuthError(SgldError):
    """Login refused; the message never reveals whether the username exists."""


class ConfigError(SgldError):
    """A deployment setting is missing or malformed."""


class DatabaseBusy(SgldError):
    """The database file is held by another process (usually the running app)."""
