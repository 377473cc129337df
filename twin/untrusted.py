"""Parsing JSON that came from outside: the one guard every untrusted body or payload goes through.

Anyone can send the HTTP API a body, and anyone who can publish on the broker can send a device
a command; both arrive as JSON. :func:`loads` is the only way such text becomes Python objects
in this project. Before :func:`json.loads` sees a byte, it checks, with a cheap scan that does
not recurse:

* **size** — at most ``max_bytes`` bytes (an oversized body is refused without being decoded);
* **encoding** — UTF-8 (RFC 8259 §8.1), refused otherwise;
* **nesting** — at most ``max_depth`` levels of ``[`` / ``{`` outside strings.

After parsing it refuses the constants JSON does not have (``NaN``, ``Infinity``), numbers too
long for Python's ``int`` and strings holding lone surrogates (``"\\ud800"``), which could not be
written back as UTF-8. Whatever is refused raises :class:`UntrustedJSONError`, whose message names
what was being read (``what``) and why, and never repeats the input.

Why the depth scan, and not just a sane recursion limit
------------------------------------------------------
``json.loads`` of ``'[' * 100_000 + ']' * 100_000`` (200 KB) recurses once per level in C. With
Python's default limit (1000) it raises :class:`RecursionError`; but importing ``py_ecc`` (pulled in
by the ledger's web3 stack) calls ``sys.setrecursionlimit(100_000)``, and then the C stack
overflows first and the process dies with SIGSEGV — one unauthenticated request kills the
server. Putting the limit back is not enough on its own:

* the limit is process-global and a library may raise it again at any import, at any time;
  ``py_ecc`` raised it because its own code needs it, so lowering it may break the ledger;
* how deep is safe depends on the C stack of the thread that parses (uvicorn's worker threads,
  paho's network thread), not on the limit; a limit safe on the main thread can still overflow
  a smaller thread stack;
* even when it does raise, :class:`RecursionError` is not a :class:`ValueError`: handlers written
  for bad input do not catch it (a 500, or a dead MQTT loop), and the whole body has been
  decoded and half-built first.

A depth bound checked before parsing holds whatever the recursion limit is, costs one pass over
at most ``max_bytes`` bytes, and turns the attack into an ordinary "bad input" answer.
"""
from __future__ import annotations

import json
import re

from twin.errors import TwinError

# a JSON string (with escapes) — unrolled so that it never backtracks
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_OPEN = frozenset(b"[{")


class UntrustedJSONError(TwinError, ValueError):
    """Untrusted JSON that :func:`loads` refused.

    Attributes
    ----------
    what
        What was being read, e.g. ``"body of POST /chat"`` or ``"command on city/x/streetlight/sl-1/cmd"``.
    reason
        Why it was refused, in words (never the input itself).
    too_large
        True when the input was over ``max_bytes`` (HTTP 413), False for any other refusal (400).
    """

    def __init__(self, what: str, reason: str, *, too_large: bool = False):
        self.what = what
        self.reason = reason
        self.too_large = too_large
        super().__init__(f"{what}: {reason}")


def loads(data: bytes | bytearray | str, *, max_bytes: int, max_depth: int = 32, what: str = "JSON input"):
    """Parse untrusted JSON, refusing what is too large, too deep or not valid (see the module docstring).

    Parameters
    ----------
    data
        The raw body or payload; ``str`` is encoded as UTF-8 first.
    max_bytes
        Largest accepted size in bytes.
    max_depth
        Deepest accepted nesting of arrays and objects (``{"a": [1]}`` is depth 2; a bare scalar
        is depth 0).
    what
        What is being read, for the error message (name the field, topic or route).

    Returns
    -------
    object
        What :func:`json.loads` returns: dict, list, str, int, float, bool or None.

    Raises
    ------
    UntrustedJSONError
        The input is too large (``too_large``), not UTF-8, nested deeper than ``max_depth``, not
        JSON, or holds NaN/Infinity, an over-long integer or a lone surrogate.

    Examples
    --------
    >>> loads(b'{"cmd": "ping"}', max_bytes=1024, what="command")
    {'cmd': 'ping'}
    >>> loads("[" * 100_000 + "]" * 100_000, max_bytes=1 << 20, what="body")
    Traceback (most recent call last):
    ...
    twin.untrusted.UntrustedJSONError: body: nested deeper than 32 levels
    """
    if isinstance(data, str):
        if len(data) > max_bytes:                # each character is at least one byte
            raise UntrustedJSONError(what, f"{len(data):,} characters is larger than the {max_bytes:,} bytes allowed",
                                     too_large=True)
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            raise UntrustedJSONError(what, "is not valid Unicode text (a lone surrogate)") from None
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise UntrustedJSONError(what, f"expected bytes or text, got {type(data).__name__}")
    if len(raw) > max_bytes:
        raise UntrustedJSONError(what, f"{len(raw):,} bytes is larger than the {max_bytes:,} bytes allowed",
                                 too_large=True)
    depth = nesting_depth(raw, stop_above=max_depth)
    if depth > max_depth:
        raise UntrustedJSONError(what, f"nested deeper than {max_depth} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UntrustedJSONError(what, f"is not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise UntrustedJSONError(what, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") \
            from None
    except ValueError as exc:                     # an integer longer than Python's int digit limit
        raise UntrustedJSONError(what, f"is not acceptable JSON ({str(exc)[:80]})") from None
    _check_strings(value, what)
    return value


def nesting_depth(raw: bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of ``[``/``{`` in ``raw`` outside JSON strings, without recursion.

    Brackets inside strings do not count; an unterminated string's brackets do (the count can
    only be too high, never too low, so the bound stays safe). With ``stop_above``, the scan
    ends as soon as the depth exceeds it (and returns that depth).
    """
    outside = _STRING.sub(b'""', raw) if b'"' in raw else raw
    depth = deepest = 0
    for m in _BRACKETS.finditer(outside):
        if m.group()[0] in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    return deepest
        elif depth > 0:
            depth -= 1
    return deepest


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _check_strings(value, what: str) -> None:
    """Refuse strings (keys too) that cannot be encoded as UTF-8 (lone surrogates from ``\\ud800``)."""
    stack = [value]                              # depth is bounded already; a stack all the same
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            _check_text(v, what)
        elif isinstance(v, dict):
            for k, x in v.items():
                _check_text(k, what)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)


def _check_text(s: str, what: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise UntrustedJSONError(what, "holds a lone surrogate (\\ud800–\\udfff); send valid Unicode text") from None
