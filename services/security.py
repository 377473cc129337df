"""API keys, roles, rate limits and pseudonyms.

**API keys** are ``twin_`` + 32 random bytes (URL-safe text) made by :func:`new_key`. The store keeps only
their SHA-256 (:func:`hash_key`): a key has 256 bits of entropy, so a fast hash cannot be
brute-forced, and a stolen table gives no key. Each key has a **role**:

* ``client`` — may ``POST requests`` (an app, a kiosk, the twin's citizens);
* ``staff`` — may also change a request's status (the Open311 extension);
* ``admin`` — may also create keys.

**Rate limits** are a token bucket per key (:class:`RateLimiter`): ``rate_per_min`` tokens a
minute, bursts up to the same number.

**Pseudonyms** (:func:`pseudonym`): a person who gives an e-mail, phone or account id is known to
the rest of the system only as ``anon:<16 hex>``, an HMAC-SHA-256 of the identifier under the
store's secret; the same person gets the same pseudonym, and it cannot be turned back into the
identifier without the secret.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

ROLES = ("client", "staff", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}


def new_key() -> str:
    """A fresh API key: ``twin_`` and 43 URL-safe characters. The prefix makes keys easy to
    recognise (and to find in leaked text), and means a key never starts with ``-`` (which a
    command line would read as an option)."""
    return "twin_" + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The stored form of an API key (hex SHA-256)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def allows(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may."""
    return RANK.get(role, -1) >= RANK[needed]


def pseudonym(secret: str, identifier: str) -> str:
    """A stable pseudonym for a personal identifier (see the module docstring)."""
    norm = identifier.strip().lower()
    return "anon:" + hmac.new(secret.encode(), norm.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


class RateLimiter:
    """Token buckets, one per key: :meth:`allow` takes a token or says no.

    Parameters
    ----------
    clock
        Seconds (monotonic); ``time.monotonic`` by default (tests pass their own).
    """

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, rate_per_min: int) -> bool:
        """Take one token from ``key``'s bucket (``rate_per_min`` ≤ 0: unlimited)."""
        if rate_per_min <= 0:
            return True
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(rate_per_min), now))
            tokens = min(float(rate_per_min), tokens + (now - last) * rate_per_min / 60.0)
            ok = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
            return ok
