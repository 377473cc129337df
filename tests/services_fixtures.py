"""Stores for the services tests: the same suite runs on SQLite and on the real PostgreSQL.

PostgreSQL is the server this machine runs (127.0.0.1:5432, trust auth, database ``test``;
``TWIN_TEST_PG`` overrides the URL). Each store gets a schema of its own, dropped afterwards, so
tests never see each other's rows. A missing PostgreSQL fails the tests: it is part of what they
check.
"""
from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("TWIN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


def make_store(kind: str, tmp_path):
    from services.store import open_store, sqlite_url

    if kind == "sqlite":
        return open_store(sqlite_url(tmp_path / f"s-{uuid.uuid4().hex[:8]}.sqlite"))
    try:
        return open_store(PG_URL, schema=f"t_{uuid.uuid4().hex[:12]}")
    except Exception as exc:  # noqa: BLE001 - report what is missing, then fail
        pytest.fail(f"PostgreSQL at {PG_URL} is not usable: {exc}")


def store_url(kind: str, tmp_path) -> tuple[str, str | None]:
    """``(url, schema)`` for a component that opens its own store."""
    from services.store import sqlite_url

    if kind == "sqlite":
        return sqlite_url(tmp_path / "run-services.sqlite"), None
    return PG_URL, f"t_{uuid.uuid4().hex[:12]}"
