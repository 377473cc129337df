"""Errors a user can act on.

A :class:`TwinError` says what was wrong and with which value, in words for the person who typed
the command; the CLI prints it without a traceback and exits with :attr:`exit_code`.
"""


class TwinError(Exception):
    """Bad input or an unusable environment; the message names the field and the value."""

    exit_code = 2


class KernelNotBuiltError(TwinError, ImportError):
    """The Cython extensions are missing: there is no pure-Python fallback."""

    exit_code = 3
