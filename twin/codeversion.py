"""The version of the code that produced a result: a hash of the twin's own source files.

A run's manifest records it (``versions.code``), and every cache of results keyed by what was
run — the replications a study reuses (:func:`twin_app.study.already_run`), the KPIs analytics
keeps beside a log (``analytics.json``) — compares it, so that results made by other code are
computed again instead of being reused as if nothing had changed. A default changed in the
middle of a session changes the stamp, even before it is committed.

The package version (``smartcity-twin 0.1.0``) does not change with every edit and a git commit
may not exist (an installed copy, uncommitted work), so the stamp is the SHA-256 of the sources
themselves: every ``.py``, ``.pyx``, ``.vy`` and ``.yaml`` file of the packages that make a run or
read it (``twin``, ``agents``, ``sensors``, ``services``, ``ledger``, ``scenarios``,
``twin_app``), by relative path and content, in path order. Reading them takes a few
milliseconds, once per process.

``TWIN_CODE_VERSION`` in the environment pins the stamp instead: to reuse runs across edits known
not to change results (a docstring), or for tests that run the same study twice in processes of
a work tree others edit meanwhile.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

#: the packages whose sources make a run or its analysis (the control room only shows them)
PACKAGES = ("twin", "agents", "sensors", "services", "ledger", "scenarios", "twin_app")
SUFFIXES = (".py", ".pyx", ".vy", ".yaml")


def code_version() -> str:
    """16 hex digits of the SHA-256 of the sources, or ``TWIN_CODE_VERSION`` (see the module
    docstring)."""
    return os.environ.get("TWIN_CODE_VERSION") or _source_hash()


@lru_cache(maxsize=1)
def _source_hash() -> str:
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for pkg in PACKAGES:
        base = root / pkg
        files = sorted(p for p in base.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                       and "__pycache__" not in p.parts)
        for p in files:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(b"\0")
            h.update(p.read_bytes())
            h.update(b"\0")
    return h.hexdigest()[:16]


__all__ = ["code_version"]
