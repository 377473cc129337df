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


def kernel_missing(module: str, exc: ImportError) -> KernelNotBuiltError:
    """The error to raise when a Cython kernel cannot be imported (there is no fallback)."""
    return KernelNotBuiltError(
        f"the Cython kernel {module} is not built; run `pip install -e .` or "
        f"`python setup.py build_ext --inplace` in the project folder (import error: {exc})")
