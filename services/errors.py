"""The error the city hall raises for a request it will not take, and how it maps to HTTP."""
from __future__ import annotations


class RequestError(ValueError):
    """A request the city hall refuses: ``code`` is the HTTP status (400, 403, 404, 409, 429),
    ``field`` the parameter at fault (or None), ``value`` what was given.

    The message always names the field and the value, e.g.
    ``lat/long: 45.9, 21.2 — the location is outside Brașov``.
    """

    def __init__(self, message: str, *, code: int = 400, field: str | None = None, value=None):
        self.code = int(code)
        self.field = field
        self.value = value
        if field is not None:
            shown = _shorten(value)
            message = f"{field}: {shown} — {message}" if shown is not None else f"{field}: {message}"
        super().__init__(message)

    @property
    def description(self) -> str:
        return str(self)


def _shorten(value, limit: int = 60):
    if value is None:
        return None
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(str(value))} characters)"
